/**
 * Test environment for the onboarding applier: a temp directory with a simulated router, an
 * in-memory state store, a complete AgentConfig, a fake downloader that copies from local files
 * and checks sha-256, an OnboardingSource builder and the StepContext of a step executor.
 * Cleans up with `dispose()`.
 * @module
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { createSimulatedAdapter } from '../../src/adapters/simulated.ts';
import type { RouterAdapter } from '../../src/adapters/router-adapter.ts';
import type { AgentConfig } from '../../src/config/types.ts';
import { SztpError } from '../../src/errors.ts';
import type { OnboardingSource } from '../../src/contracts/fetch.ts';
import type { DownloadFn, DownloadRequest } from '../../src/contracts/download.ts';
import { createProgress } from '../../src/onboarding/progress.ts';
import type { StepContext } from '../../src/onboarding/step-context.ts';
import type { ApplyDeps } from '../../src/onboarding/types.ts';
import type { OnboardingJournal } from '../../src/state/types.ts';
import { NULL_REPORTER, type ProgressReporter } from '../../src/progress/reporter.ts';
import type { OnboardingInformation } from '../../src/types.ts';
import { MemoryStore } from './memory-store.ts';
import { logScript } from './usb-cli.ts';
import { makeTempDir } from './temp-dir.ts';

export const silentLog = pino({ level: 'silent' });

export function testConfig(dir: string, overrides: Partial<AgentConfig['onboarding']> = {}): AgentConfig {
  return {
    file: join(dir, 'ztp.ini'),
    baseDir: dir,
    startup: { start: true, retryForever: false },
    fetchers: ['USB'],
    device: {
      clockTrusted: true,
      acceptedAssertions: ['verified'],
      voucherSigners: [],
      strictVoucherSigner: false,
      tpm2Tcti: 'device:/dev/tpmrm0',
      keyTimeoutSeconds: 10,
    },
    usb: { mountPoints: [join(dir, 'usb')], autoMount: false, settleSeconds: 0 },
    bootstrap: {
      servers: [],
      nonce: true,
      connectTimeoutSeconds: 5,
      responseTimeoutSeconds: 5,
      maxResponseBytes: 1 << 20,
      maxRedirectDepth: 4,
      maxExchangesPerWalk: 32,
      maxUntrustedRedirectEntries: 8,
      csrSupport: false,
      activationCodeProvisional: false,
    },
    interfaces: { dport: [] },
    dhcp: {
      source: 'lease-file',
      timeoutSeconds: 5,
      leaseFiles: [],
      dhclientConf: [],
      networkdLeases: [],
      hookDir: dir,
      acceptNonconformingUris: false,
    },
    dns: { mdns: false, domains: [], servers: [], timeoutSeconds: 5, resolvConf: '/etc/resolv.conf' },
    router: {
      adapter: 'simulated',
      settings: { root: join(dir, 'router'), os_name: 'SimOS', os_version: '1.0', hw_model: 'sim-1' },
    },
    onboarding: { scriptTimeoutSeconds: 10, maxImageBytes: 1 << 24, imageWithoutCriteria: 'install', ...overrides },
    agent: {
      stateDir: join(dir, 'state'),
      logLevel: 'silent',
      backoffInitialSeconds: 1,
      backoffMaxSeconds: 2,
      fetcherBudgetSeconds: 600,
    },
  };
}

/** A downloader over local paths (`file://` via resolveLocalUri, or plain paths), sha-256 checked; records calls. */
export function fakeDownload(calls: DownloadRequest[] = []): { download: DownloadFn; calls: DownloadRequest[] } {
  const download: DownloadFn = (req) => {
    calls.push(req);
    for (const uri of req.uris) {
      const path = uri.startsWith('file:') ? req.resolveLocalUri?.(uri) : uri;
      if (path === undefined || !existsSync(path)) continue;
      const data = readFileSync(path);
      const sha256 = createHash('sha256').update(data).digest('hex');
      const ok = req.expected.some(
        (e) =>
          Buffer.from(e.value).toString('hex') ===
          createHash(e.algorithm === 'sha-256' ? 'sha256' : 'sha512')
            .update(data)
            .digest('hex'),
      );
      if (!ok) return Promise.reject(new SztpError('SZTP_ERR_BOOT_IMAGE_HASH', `hash mismatch for ${uri}`));
      const dest = join(req.destDir, `${sha256}.img`);
      copyFileSync(path, dest);
      return Promise.resolve({ path: dest, sha256, bytes: data.length, uri });
    }
    return Promise.reject(new SztpError('SZTP_ERR_DOWNLOAD_FAILED', 'every mirror failed'));
  };
  return { download, calls };
}

export interface Env {
  readonly dir: string;
  readonly config: AgentConfig;
  readonly store: MemoryStore;
  readonly adapter: RouterAdapter;
  readonly routerRoot: string;
  readonly downloads: DownloadRequest[];
  deps(extra?: Partial<ApplyDeps>): ApplyDeps;
  source(
    onboarding: OnboardingInformation,
    opts?: { digest?: string; reporter?: ProgressReporter; resolveLocalUri?: (u: string) => string | undefined },
  ): OnboardingSource;
  runningConfig(): string | undefined;
  dispose(): void;
}

export function makeEnv(
  overrides: Partial<AgentConfig['onboarding']> = {},
  settings: Record<string, string> = {},
): Env {
  const dir = makeTempDir('onb');
  const base = testConfig(dir, overrides);
  const config: AgentConfig = {
    ...base,
    router: { ...base.router, settings: { ...base.router.settings, ...settings } },
  };
  const store = new MemoryStore();
  const adapter = createSimulatedAdapter({
    settings: config.router.settings,
    workDir: join(dir, 'state', 'adapter'),
    baseDir: dir,
    log: silentLog,
  });
  const { download, calls } = fakeDownload();
  const routerRoot = join(dir, 'router');
  return {
    dir,
    config,
    store,
    adapter,
    routerRoot,
    downloads: calls,
    deps: (extra = {}) => ({
      config,
      adapter,
      store,
      log: silentLog,
      signal: new AbortController().signal,
      now: () => new Date(),
      download,
      ...extra,
    }),
    source: (onboarding, opts = {}) => ({
      fetcher: 'USB',
      description: `test:${dir}`,
      info: {
        kind: 'onboarding-information',
        signed: true,
        json: {},
        digest: opts.digest ?? 'd'.repeat(64),
        onboarding,
      },
      reporter: opts.reporter ?? NULL_REPORTER,
      trustedServer: false,
      ...(opts.resolveLocalUri === undefined ? {} : { resolveLocalUri: opts.resolveLocalUri }),
    }),
    runningConfig: () => {
      const p = join(routerRoot, 'running-config');
      return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
    },
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

/** {@link logScript} as bytes, argument order (exit before extra) kept for the unit tests. */
export function loggingScript(log: string, tag: string, exit = 0, extra = ''): Uint8Array {
  return bytes(logScript(log, tag, extra, exit));
}

/** The context a step executor receives: a source without onboarding data, `deps` from the env (with `extra`), and `journal` kept in the env's store. */
export function stepContext(e: Env, journal: OnboardingJournal, extra: Partial<ApplyDeps> = {}): StepContext {
  const source = e.source({});
  return {
    source,
    deps: e.deps(extra),
    progress: createProgress(source, { store: e.store, log: silentLog, now: () => new Date() }),
    journal,
    updateJournal: async (change) => {
      await e.store.update((s) => (s.journal === undefined ? s : { ...s, journal: change(s.journal) }));
    },
  };
}
