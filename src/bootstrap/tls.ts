/**
 * One TLS "connection" to one resolved address of a bootstrap server (RFC 8572 §5.3, §5.5): an
 * undici Agent that always presents the IDevID chain (C-067, C-068), speaks TLS ≥ 1.2 and either
 *  - `pinned`: authenticates the server against the given anchors (configured
 *    `bootstrap_trust_anchors`, or the `trust-anchor` of a trusted redirect entry), RFC 6125 identity
 *    checked against the redirect `address` (T-04), partial chains allowed for non-root anchors;
 *    failure is SZTP_ERR_SERVER_TLS, never a provisional fallback (C-102, AT-33); or
 *  - `provisional`: accepts any server certificate (C-103, C-104), but the connection still counts
 *    as trusted when the chain happens to validate against `upgradeAnchors` (C-066).
 * With an untrusted clock (§9.1, T-08) the chain is checked by {@link verifyChain} without dates.
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { Agent, buildConnector, request } from 'undici';
import type { TlsClientKey } from '../contracts/device-key.ts';
import { SztpError } from '../errors.ts';
import type { DeviceCredentials } from '../types.ts';
import { parseCertificate, type ParsedCert } from '../validation/x509/certificate.ts';
import { validatePath } from '../validation/x509/path.ts';
import { derToPem } from '../lib/pem.ts';
import { messageOf } from '../lib/error-info.ts';
import type { HttpRequest } from './http1.ts';
import { openHelperConnection } from './tls-helper.ts';

export type TlsMode =
  | { readonly kind: 'pinned'; readonly anchors: readonly Uint8Array[] }
  | { readonly kind: 'provisional'; readonly upgradeAnchors: readonly Uint8Array[] };

/** The server as named in redirect information, and the address it resolved to. */
export interface ConnectionTarget {
  /** Redirect `address` (DNS name or IP literal without brackets): SNI and reference identity. */
  readonly address: string;
  readonly port: number;
  /** The resolved IP to connect to. */
  readonly ip: string;
}

export interface ConnectionSettings {
  readonly credentials: DeviceCredentials;
  /** TLS options that authenticate with the IDevID key (from its DeviceKey, resolved once per walk). */
  readonly clientKey: TlsClientKey;
  readonly clockTrusted: boolean;
  readonly now: () => Date;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly maxResponseBytes: number;
}

/** One HTTP reply as the RESTCONF layer sees it (header values are untrusted text). */
export interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly location?: string;
  readonly body: string;
}

export interface ServerConnection {
  /** `https://address:port` (IPv6 literals bracketed). */
  readonly origin: string;
  /** One request and its complete reply (body at most `maxResponseBytes`); aborting `signal` ends it. */
  send(req: HttpRequest, signal: AbortSignal): Promise<HttpReply>;
  /**
   * Deadline for one whole exchange (connect, headers and the complete body), in ms. The
   * dispatcher's timeouts are idle timers only: a server dripping one byte at a time passes them.
   */
  readonly exchangeDeadlineMs?: number;
  /** True when every socket of this connection authenticated the server (pinned, or upgraded). */
  trusted(): boolean;
  /**
   * From now on every new socket must authenticate the server, as in `pinned` mode (a provisional
   * connection that turned out trusted, before a secret is sent over it).
   */
  requireTrust(): void;
  close(): Promise<void>;
}

/** `https://host:port` for an address as written in redirect information. */
export function originOf(address: string, port: number): string {
  return `https://${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
}

/** True when the certificate has no extendedKeyUsage, or one that allows serverAuth or anyExtendedKeyUsage. */
function allowsServerAuth(c: X509Certificate): boolean {
  const eku: unknown = c.keyUsage; // the extendedKeyUsage OIDs; undefined at run time when absent (typed string[])
  return !Array.isArray(eku) || eku.includes('1.3.6.1.5.5.7.3.1') || eku.includes('2.5.29.37.0');
}

/**
 * Checks a presented server chain against `anchors` without OpenSSL's verifier (used for the
 * untrusted-clock mode and for promoting a provisional connection): identity (RFC 6125: DNS or IP
 * SAN of `reference`), extendedKeyUsage allowing serverAuth, then RFC 5280 path validation with the
 * trust pipeline's pkijs engine (src/validation/x509/path.ts: anchors may be intermediates, SHA-1
 * links refused, pathLen and name constraints), validity dates only when `at` is given (T-08).
 * Resolves to undefined when the chain is good, else the reason; never rejects, because it runs in
 * the TLS connect callback where an exception would kill the agent.
 */
export async function verifyChain(
  presented: readonly Uint8Array[],
  anchors: readonly Uint8Array[],
  reference: string,
  at?: Date,
): Promise<string | undefined> {
  try {
    const [leafDer, ...rest] = presented;
    if (leafDer === undefined) return 'no server certificate';
    const leaf = new X509Certificate(Buffer.from(leafDer));
    const idOk =
      isIP(reference) === 0 ? leaf.checkHost(reference) !== undefined : leaf.checkIP(reference) !== undefined;
    if (!idOk) return `certificate does not name ${reference}`;
    // What OpenSSL's native verification (purpose sslserver) enforces too: an extendedKeyUsage, when
    // present, must allow TLS server authentication (so a device's clientAuth certificate is no server).
    if (!allowsServerAuth(leaf))
      return `certificate ${leaf.subject} is not a TLS server certificate (extendedKeyUsage)`;
    const parse = (d: Uint8Array, what: string): ParsedCert => parseCertificate(d, 'owner-certificate', what);
    const result = await validatePath(
      parse(leafDer, 'server certificate'),
      rest.map((d) => parse(d, 'server chain certificate')),
      anchors.map((d) => parse(d, 'bootstrap trust anchor')),
      { now: at ?? new Date(), checkValidity: at !== undefined, maxDepth: 10 },
    );
    if (result.ok) {
      // OpenSSL (purpose sslserver) applies the extendedKeyUsage restriction to the issuing CAs too.
      const narrowed = result.path
        .slice(1)
        .map((c) => new X509Certificate(Buffer.from(c.der)))
        .find((c) => !allowsServerAuth(c));
      return narrowed === undefined
        ? undefined
        : `issuing CA ${narrowed.subject} is restricted to other purposes (extendedKeyUsage)`;
    }
    const { failure } = result;
    if (failure.kind === 'validity') return `certificate is outside its validity period: ${failure.message}`;
    if (failure.kind === 'no-path')
      return `certificate ${leaf.subject} does not chain to a trust anchor: ${failure.message}`;
    return failure.message;
  } catch (err) {
    return `certificate chain cannot be checked: ${messageOf(err)}`;
  }
}

/** DER of the presented chain (leaf first) of a connected TLS socket. */
function presentedChain(socket: TLSSocket): Uint8Array[] {
  const out: Uint8Array[] = [];
  // getPeerCertificate returns {} without a certificate, and issuerCertificate may be missing.
  let cert = socket.getPeerCertificate(true) as Partial<DetailedPeerCertificate> | undefined;
  const seen = new Set<string>();
  while (cert?.raw !== undefined && cert.fingerprint256 !== undefined && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    out.push(new Uint8Array(cert.raw));
    cert = cert.issuerCertificate;
  }
  return out;
}

/**
 * Opens (lazily: sockets are made on the first request) a connection to one resolved address:
 * in-process (undici over node:tls), or through the TLS helper (./tls-helper.ts) when the IDevID
 * key is one node:tls cannot use.
 */
export function openConnection(
  target: ConnectionTarget,
  mode: TlsMode,
  settings: ConnectionSettings,
): ServerConnection {
  const { clientKey } = settings;
  if ('helper' in clientKey) return openHelperConnection(target, mode, settings, clientKey.helper);
  return openInProcess(target, mode, settings, clientKey);
}

function openInProcess(
  target: ConnectionTarget,
  mode: TlsMode,
  settings: ConnectionSettings,
  clientKey: Exclude<TlsClientKey, { helper: unknown }>,
): ServerConnection {
  const { credentials } = settings;
  const cert = [credentials.certificate, ...credentials.chain].map((d) => derToPem(d, 'CERTIFICATE')).join('');
  const native = mode.kind === 'pinned' && settings.clockTrusted;
  const manualAnchors = mode.kind === 'pinned' ? mode.anchors : mode.upgradeAnchors;
  const family = isIP(target.ip) === 6 ? 6 : 4;
  const base = buildConnector({
    cert,
    ...clientKey,
    minVersion: 'TLSv1.2',
    maxCachedSessions: 0,
    timeout: settings.connectTimeoutMs,
    ...(isIP(target.address) === 0 ? { servername: target.address } : {}),
    // Connect to the resolved address while keeping the redirect address as SNI and identity.
    lookup: (_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
      if (opts.all === true) cb(null, [{ address: target.ip, family }]);
      else cb(null, target.ip, family);
    },
    ...(native
      ? {
          ca: mode.anchors.map((d) => derToPem(d, 'CERTIFICATE')),
          rejectUnauthorized: true,
          allowPartialTrustChain: true,
          checkServerIdentity: (_host: string, peer: DetailedPeerCertificate) =>
            checkServerIdentity(target.address, peer),
        }
      : { rejectUnauthorized: false }),
  } as buildConnector.BuildOptions);
  let authenticated: boolean | undefined;
  let strict = mode.kind === 'pinned';
  const connector: buildConnector.connector = (opts, callback) => {
    base(opts, (err, socket) => {
      if (err !== null) {
        callback(err, null);
        return;
      }
      if (native || manualAnchors.length === 0) {
        if (strict && !native) {
          socket.destroy();
          callback(
            new SztpError('SZTP_ERR_SERVER_TLS', 'server certificate cannot be authenticated: no trust anchors', {
              evidence: { address: target.address, ip: target.ip },
            }),
            null,
          );
          return;
        }
        authenticated = (authenticated ?? true) && native;
        callback(null, socket);
        return;
      }
      const at = settings.clockTrusted ? settings.now() : undefined;
      void verifyChain(presentedChain(socket as TLSSocket), manualAnchors, target.address, at).then((reason) => {
        const ok = reason === undefined;
        if (!ok && strict) {
          socket.destroy();
          callback(
            new SztpError('SZTP_ERR_SERVER_TLS', `server certificate rejected: ${reason}`, {
              evidence: { address: target.address, ip: target.ip },
            }),
            null,
          );
          return;
        }
        authenticated = (authenticated ?? true) && ok;
        callback(null, socket);
      });
    });
  };
  const agent = new Agent({
    connect: connector,
    headersTimeout: settings.responseTimeoutMs,
    bodyTimeout: settings.responseTimeoutMs,
    maxResponseSize: settings.maxResponseBytes,
    connections: 1,
  });
  const origin = originOf(target.address, target.port);
  return {
    origin,
    send: async (req, signal) => {
      const res = await request(`${origin}${req.path}`, {
        dispatcher: agent,
        method: req.method,
        signal,
        headers: req.headers,
        ...(req.body === undefined ? {} : { body: req.body }),
      });
      const body = await res.body.text();
      const ct = res.headers['content-type'];
      const loc = res.headers.location;
      return {
        status: res.statusCode,
        contentType: typeof ct === 'string' ? ct : '',
        body,
        ...(typeof loc === 'string' ? { location: loc } : {}),
      };
    },
    exchangeDeadlineMs: settings.connectTimeoutMs + settings.responseTimeoutMs,
    trusted: () => authenticated === true,
    requireTrust: () => {
      strict = true;
    },
    close: () => agent.close(),
  };
}
