/**
 * The RESTCONF bootstrap-server client (RFC 8572 §5.3, §5.5, §7): implements the fetchers'
 * BootstrapClient by walking redirect information with {@link RedirectWalker}. Dependencies that
 * tests replace (DNS resolution, randomness, TLS connection factory, activation-code file reader)
 * are injectable; the defaults are the real ones. Bootstrap-server anchors come loaded in the fetch context.
 * @module
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { SztpError } from '../errors.ts';
import type { BootstrapClient } from '../contracts/fetch.ts';
import { deviceKeyOf } from '../platform/device-key-file.ts';
import { basicAuthorization, loadActivationCode } from './activation.ts';
import type { CsrKeyStore } from './csr.ts';
import {
  openConnection,
  type ConnectionSettings,
  type ConnectionTarget,
  type ServerConnection,
  type TlsMode,
} from './tls.ts';
import { RedirectWalker } from './walk.ts';
import { firstOf } from '../lib/source-sequence.ts';

export interface BootstrapClientOptions {
  /** Resolves a host to every address, v4 and v6 (default: dns.lookup all, verbatim order). */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
  readonly randomBytes?: (n: number) => Uint8Array;
  readonly open?: (target: ConnectionTarget, mode: TlsMode, settings: ConnectionSettings) => ServerConnection;
  /** Reads `activation_code_file` (default: node:fs). */
  readonly readFile?: (path: string) => Promise<string>;
  /** Where RFC 9646 CSR keys go (`[Bootstrap] csr_support`); default: kept in memory only. */
  readonly csrKeyStore?: CsrKeyStore;
}

/** A CSR key store that only keeps the latest key in memory (the daemon should pass a persistent one). */
export function memoryCsrKeyStore(): CsrKeyStore & { current(): Uint8Array | undefined } {
  let key: Uint8Array | undefined;
  return {
    save: (k) => {
      key = k.privateKeyPkcs8;
      return Promise.resolve();
    },
    discard: () => {
      key?.fill(0);
      key = undefined;
      return Promise.resolve();
    },
    current: () => key,
  };
}

export async function resolveAll(host: string): Promise<readonly string[]> {
  if (isIP(host) !== 0) return [host];
  const found = await lookup(host, { all: true, verbatim: true });
  return [...new Set(found.map((a) => a.address))];
}

export function createBootstrapClient(options: BootstrapClientOptions = {}): BootstrapClient {
  const read = options.readFile ?? ((p: string) => readFile(p, 'utf8'));
  const csrKeys = options.csrKeyStore ?? memoryCsrKeyStore();
  return {
    async followRedirect(redirect, trusted, ctx, origin) {
      const credentials = ctx.credentials;
      if (credentials === undefined) {
        throw new SztpError(
          'SZTP_ERR_DEVICE_IDENTITY',
          'no IDevID certificate and key: bootstrap servers cannot be contacted',
        );
      }
      const key = deviceKeyOf(credentials);
      if (key === undefined) {
        throw new SztpError(
          'SZTP_ERR_DEVICE_IDENTITY',
          'the IDevID private key is not available for TLS client authentication',
        );
      }
      const b = ctx.config.bootstrap;
      const settings: ConnectionSettings = {
        credentials,
        clientKey: await key.tlsClientOptions(),
        clockTrusted: ctx.config.device.clockTrusted,
        now: ctx.now,
        connectTimeoutMs: b.connectTimeoutSeconds * 1000,
        responseTimeoutMs: b.responseTimeoutSeconds * 1000,
        maxResponseBytes: b.maxResponseBytes,
      };
      const code = await loadActivationCode(b, read);
      const walker = new RedirectWalker({
        ctx,
        origin,
        settings,
        configuredAnchors: ctx.bootstrapTrustAnchors,
        resolve: options.resolve ?? resolveAll,
        randomBytes: options.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n))),
        open: options.open ?? openConnection,
        csrKeys,
        ...(code === undefined
          ? {}
          : {
              activation: {
                authorization: basicAuthorization(ctx.identity.serialNumber, code),
                provisional: b.activationCodeProvisional,
              },
            }),
      });
      return firstOf(walker.walk(redirect, trusted), origin.description);
    },
  };
}
