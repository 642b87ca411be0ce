/**
 * Test harness for the bootstrap-server client: a test PKI in a temp dir, device credentials in
 * the agent's DER form, and FetchContext objects built from the defaults with overrides.
 * @module
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { createBootstrapClient, type BootstrapClientOptions } from '../../src/bootstrap/client.ts';
import { defaultConfig } from '../../src/config/load.ts';
import type { AgentConfig } from '../../src/config/types.ts';
import type { FetchContext } from '../../src/contracts/fetch.ts';
import { certificatesFromPemOrDer } from '../../src/lib/pem.ts';
import type { DeviceCredentials, TrustContext, ValidateFn } from '../../src/types.ts';
import { validateBootstrappingData } from '../../src/validation/pipeline.ts';
import { rogueServerCert } from './bootstrap-fixtures.ts';
import { startBootstrapServer, type BootstrapServerOptions, type TestBootstrapServer } from './bootstrap-server.ts';
import { certDer, makeTestPki, type KeyKind, type TestPki } from './pki.ts';
import { makeTempDir } from './temp-dir.ts';

export interface Harness {
  readonly dir: string;
  readonly pki: TestPki;
  readonly credentials: DeviceCredentials;
  readonly nonces: (Uint8Array | undefined)[];
  cleanup(): void;
}

export function makeHarness(kind: KeyKind = 'p256'): Harness {
  const dir = makeTempDir('bs');
  const pki = makeTestPki(join(dir, 'pki'), kind);
  const credentials: DeviceCredentials = {
    certificate: certDer(pki.device.cert),
    chain: [],
    privateKeyPkcs8: new Uint8Array(
      createPrivateKey(readFileSync(pki.device.key)).export({ type: 'pkcs8', format: 'der' }),
    ),
  };
  return { dir, pki, credentials, nonces: [], cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ContextOptions {
  readonly device?: Partial<AgentConfig['device']>;
  readonly bootstrap?: Partial<AgentConfig['bootstrap']>;
  readonly validate?: ValidateFn;
  readonly client?: BootstrapClientOptions;
  readonly signal?: AbortSignal;
  readonly withoutCredentials?: boolean;
}

export function fetchContext(h: Harness, o: ContextOptions = {}): FetchContext {
  const base = defaultConfig(h.dir);
  const config: AgentConfig = {
    ...base,
    device: { ...base.device, serialNumber: h.pki.serial, bootstrapTrustAnchors: h.pki.serverCa.cert, ...o.device },
    bootstrap: {
      ...base.bootstrap,
      connectTimeoutSeconds: 3,
      responseTimeoutSeconds: 3,
      maxRedirectDepth: 10,
      ...o.bootstrap,
    },
  };
  const trustContext = (nonce?: Uint8Array): TrustContext => {
    h.nonces.push(nonce);
    return {
      voucherTrustAnchors: [certDer(h.pki.masaCa.cert)],
      serialNumber: h.pki.serial,
      device: h.credentials,
      ...(nonce === undefined ? {} : { nonce }),
      now: new Date(),
      policy: { acceptedAssertions: ['verified'], clockTrusted: config.device.clockTrusted },
    };
  };
  return {
    config,
    log: pino({ level: 'silent' }),
    signal: o.signal ?? new AbortController().signal,
    identity: { serialNumber: h.pki.serial, hwModel: 'model-x', osName: 'VendorOS', osVersion: '17.3R2.1' },
    ...(o.withoutCredentials === true ? {} : { credentials: h.credentials }),
    // As the daemon loads them (src/daemon/wire.ts), but without parsing: a broken anchor must reach the walker.
    bootstrapTrustAnchors:
      config.device.bootstrapTrustAnchors === undefined
        ? []
        : certificatesFromPemOrDer(readFileSync(config.device.bootstrapTrustAnchors)),
    trustContext,
    validate: o.validate ?? validateBootstrappingData,
    bootstrap: createBootstrapClient(o.client),
    now: () => new Date(),
  };
}

export interface ServerLab {
  readonly h: Harness;
  /** A server certificate for localhost from a CA the device does not trust. */
  readonly rogue: ReturnType<typeof rogueServerCert>;
  /** Starts a test server with the harness's server certificate (options override), stopped by close(). */
  server(o?: Partial<BootstrapServerOptions>): Promise<TestBootstrapServer>;
  /** Starts a test server with the rogue certificate: every connection to it stays provisional. */
  rogueServer(o?: Partial<BootstrapServerOptions>): Promise<TestBootstrapServer>;
  close(): Promise<void>;
}

/** A harness, a rogue server certificate and a server factory for bootstrap-server tests. */
export function makeServerLab(): ServerLab {
  const h = makeHarness();
  const rogue = rogueServerCert(h.dir);
  const servers: TestBootstrapServer[] = [];
  const server = async (o: Partial<BootstrapServerOptions> = {}): Promise<TestBootstrapServer> => {
    const s = await startBootstrapServer({
      cert: readFileSync(h.pki.server.cert),
      key: readFileSync(h.pki.server.key),
      clientCa: readFileSync(h.pki.manufacturer.cert),
      ...o,
    });
    servers.push(s);
    return s;
  };
  return {
    h,
    rogue,
    server,
    rogueServer: (o = {}) =>
      server({ cert: readFileSync(rogue.server.cert), key: readFileSync(rogue.server.key), ...o }),
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
      h.cleanup();
    },
  };
}
