/**
 * A bootstrap-server connection (the ServerConnection of ./tls.ts) whose TLS runs in an
 * `openssl s_client` child, for an IDevID key node:tls cannot use: a key that exists only at a TPM
 * persistent handle, loaded by OpenSSL's tpm2 provider (docs/hardware-keys.md). Each request is one
 * child and one TLS connection (./s-client.ts; HTTP/1.1 with `Connection: close`, ./http1.ts).
 * The trust modes are the in-process ones (RFC 8572 §5.3, §5.5):
 *  - `pinned`: s_client verifies the server against the anchors ONLY (`-CAfile`, `-no-CApath`,
 *    `-no-CAstore`, `-partial_chain` as allowPartialTrustChain), checks the redirect address
 *    (`-verify_hostname` / `-verify_ip`, T-04) and fails the handshake on any error
 *    (`-verify_return_error`): SZTP_ERR_SERVER_TLS, never a provisional fallback (C-102, AT-33);
 *    with an untrusted clock (§9.1, T-08) without validity dates (`-no_check_time`);
 *  - `provisional`: any server certificate (C-103, C-104); with `upgradeAnchors` the first request
 *    is tried as `pinned` against them and counts as trusted when that handshake succeeds (C-066);
 *    when the server fails that check (a certificate verification error, before any request byte is
 *    sent) the request is repeated unverified and the connection stays untrusted. `requireTrust()`
 *    makes every later request `pinned`.
 * Certificates and anchors go to the child in files of a private (0700) directory removed on close().
 * @module
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIP } from 'node:net';
import type { TlsHelperKey } from '../contracts/device-key.ts';
import { SztpError, isSztpError } from '../errors.ts';
import { derToPem } from '../lib/pem.ts';
import { inert } from '../lib/inert-text.ts';
import { DEFAULT_MAX_HEADER_BYTES, serializeRequest } from './http1.ts';
import { runHelper, type HelperFailure } from './s-client.ts';
import {
  originOf,
  type ConnectionSettings,
  type ConnectionTarget,
  type ServerConnection,
  type TlsMode,
} from './tls.ts';

function helperEnv(key: TlsHelperKey): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...key.env };
}

/** A DNS name as s_client may get it in argv: letters, digits, hyphens, underscores and dots, no leading hyphen. */
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})$/;

/** A client-side certificate verification failure in s_client's stderr (the server is not authenticated). */
const VERIFY_FAILED = /verify error:num=|certificate verify failed/;

/** The coded error for a helper that ended without a complete response. */
export function classifyHelperFailure(f: HelperFailure, where: string): SztpError {
  const tail = inert(
    f.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .slice(-3)
      .join(' | '),
    400,
  );
  const evidence = { where, exitCode: f.exitCode, stderr: tail };
  if (f.spawnFailed)
    return new SztpError('SZTP_ERR_DEVICE_KEY_MODULE', `${where}: cannot run openssl for the TLS helper: ${tail}`, {
      evidence,
    });
  const rules: readonly (readonly [RegExp, SztpError['code'], string])[] = [
    [VERIFY_FAILED, 'SZTP_ERR_SERVER_TLS', 'server certificate rejected'],
    [
      /unable to load provider|could not load the shared library|provider.*not found/i,
      'SZTP_ERR_DEVICE_KEY_MODULE',
      'the OpenSSL tpm2 provider cannot be loaded (Debian: tpm2-openssl)',
    ],
    [/tpm2::|Esys_|tss2|tcti/i, 'SZTP_ERR_DEVICE_KEY_OPERATION', 'the TPM key could not sign the TLS handshake'],
    [
      /connect:errno|BIO_connect|Connection refused|unreachable|gethostbyname|No route/i,
      'SZTP_ERR_SERVER_CONNECT',
      'cannot connect',
    ],
    [/alert|SSL routines|handshake|wrong version/i, 'SZTP_ERR_SERVER_TLS', 'TLS failed'],
  ];
  const [re, code, what] = rules.find(([r]) => r.test(f.stderr)) ?? [
    undefined,
    'SZTP_ERR_SERVER_CONNECT',
    'the connection ended without a reply',
  ];
  return new SztpError(code, `${where}: ${what} (${tail || `exit ${String(f.exitCode)}`})`, {
    evidence: { ...evidence, serverUnverified: re === VERIFY_FAILED },
  });
}

/** Opens a connection whose requests each run one `openssl s_client` child. */
export function openHelperConnection(
  target: ConnectionTarget,
  mode: TlsMode,
  settings: ConnectionSettings,
  key: TlsHelperKey,
): ServerConnection {
  const origin = originOf(target.address, target.port);
  const anchors = mode.kind === 'pinned' ? mode.anchors : mode.upgradeAnchors;
  const ipAddress = isIP(target.address) !== 0;
  let strict = mode.kind === 'pinned';
  /** A provisional server that failed the upgrade check: later requests go unverified at once. */
  let failedUpgrade = false;
  let authenticated: boolean | undefined;
  let dir: Promise<string> | undefined;

  const files = (): Promise<string> =>
    (dir ??= (async () => {
      const d = await mkdtemp(join(tmpdir(), 'sztp-tls-'));
      const { certificate, chain } = settings.credentials;
      await writeFile(join(d, 'cert.pem'), derToPem(certificate, 'CERTIFICATE'), { mode: 0o600 });
      if (chain.length > 0)
        await writeFile(join(d, 'chain.pem'), chain.map((c) => derToPem(c, 'CERTIFICATE')).join(''), { mode: 0o600 });
      if (anchors.length > 0)
        await writeFile(join(d, 'anchors.pem'), anchors.map((c) => derToPem(c, 'CERTIFICATE')).join(''), {
          mode: 0o600,
        });
      return d;
    })());

  const argv = (d: string, verify: boolean): string[] => [
    'openssl',
    's_client',
    '-quiet',
    '-nocommands',
    '-no_ssl3',
    '-no_tls1',
    '-no_tls1_1',
    ...key.opensslArgs,
    '-cert',
    join(d, 'cert.pem'),
    ...(settings.credentials.chain.length > 0 ? ['-cert_chain', join(d, 'chain.pem')] : []),
    '-connect',
    `${isIP(target.ip) === 6 ? `[${target.ip}]` : target.ip}:${target.port}`,
    ...(ipAddress ? ['-noservername'] : ['-servername', target.address]),
    ...(verify
      ? [
          '-CAfile',
          join(d, 'anchors.pem'),
          '-no-CApath',
          '-no-CAstore',
          '-partial_chain',
          '-verify',
          '10',
          '-verify_return_error',
          ipAddress ? '-verify_ip' : '-verify_hostname',
          target.address,
          ...(settings.clockTrusted ? [] : ['-no_check_time']),
        ]
      : []),
  ];

  return {
    origin,
    exchangeDeadlineMs: settings.connectTimeoutMs + settings.responseTimeoutMs,
    send: async (req, signal) => {
      const where = `${req.method} ${origin}${req.path}`;
      // The address (redirect information: untrusted text) becomes an argv value of s_client: a host name or an IP only.
      if (!ipAddress && !HOST_NAME.test(target.address))
        throw new SztpError('SZTP_ERR_SERVER_CONNECT', `${inert(target.address)} is not a host name`, {
          evidence: { address: inert(target.address) },
        });
      if (isIP(target.ip) === 0)
        throw new SztpError('SZTP_ERR_SERVER_CONNECT', `${inert(target.ip)} is not an IP address`, {
          evidence: { ip: inert(target.ip) },
        });
      if ((strict || mode.kind === 'pinned') && anchors.length === 0)
        throw new SztpError(
          'SZTP_ERR_SERVER_TLS',
          `${where}: server certificate cannot be authenticated: no trust anchors`,
          {
            evidence: { address: target.address, ip: target.ip },
          },
        );
      const d = await files();
      const once = (verify: boolean): ReturnType<typeof runHelper> =>
        runHelper(
          {
            argv: argv(d, verify),
            env: helperEnv(key),
            request: serializeRequest(origin.slice('https://'.length), req),
            limits: { maxHeaderBytes: DEFAULT_MAX_HEADER_BYTES, maxBodyBytes: settings.maxResponseBytes },
            signal,
            where,
          },
          (f) => classifyHelperFailure(f, where),
        );
      const verify = strict || (anchors.length > 0 && !failedUpgrade);
      let response;
      try {
        response = await once(verify);
        authenticated = (authenticated ?? true) && verify;
      } catch (err) {
        if (!(verify && !strict && isSztpError(err) && err.evidence?.serverUnverified === true)) throw err;
        // Provisional: the server is not authenticated by the configured anchors (C-066 not met).
        failedUpgrade = true;
        response = await once(false);
        authenticated = false;
      }
      const one = (name: string): string | undefined => {
        const v = response.headers.get(name);
        return v?.length === 1 ? v[0] : undefined;
      };
      const location = one('location');
      return {
        status: response.status,
        contentType: one('content-type') ?? '',
        body: Buffer.from(response.body).toString('utf8'),
        ...(location === undefined ? {} : { location }),
      };
    },
    trusted: () => authenticated === true,
    requireTrust: () => {
      strict = true;
    },
    close: async () => {
      const d = dir;
      dir = undefined;
      if (d !== undefined) await rm(await d, { recursive: true, force: true });
    },
  };
}
