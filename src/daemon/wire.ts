/**
 * The composition root: the only place that builds real dependencies (logger rooms, state store,
 * IDevID credentials and trust anchors, the router adapter, fetchers, the trust pipeline, the
 * bootstrap-server client, the image downloader and the onboarding applier). Everything else
 * receives them as arguments, so tests can replace any of them.
 * @module
 */
import { stateLayout } from '../lib/state-layout.ts';
import type { Logger } from 'pino';
import { builtinAdapter } from '../adapters/registry.ts';
import type { RouterAdapter } from '../adapters/router-adapter.ts';
import { createCsrKeyFileStore } from '../bootstrap/csr-key-file.ts';
import type { AgentConfig } from '../config/types.ts';
import { SztpError } from '../errors.ts';
import type { BootstrapClient, Fetcher, FetchContext, OnboardingSource } from '../contracts/fetch.ts';
import { createFetchers } from '../fetchers/registry.ts';
import { room } from '../log/logger.ts';
import type { DownloadFn } from '../contracts/download.ts';
import type { ApplyOutcome } from '../onboarding/types.ts';
import { loadDeviceCredentials, loadTrustAnchors, subjectSerialNumber } from '../platform/credentials.ts';
import { deviceSerialFromSubject } from '../platform/device-serial.ts';
import type { FileStateStore } from '../state/store.ts';
import type { DeviceCredentials, RunningIdentity, TrustContext, ValidateFn } from '../types.ts';
import { stateNetworkJournal } from './network-journal.ts';
import { openAdapter, openStore } from './open.ts';
import { assessLoaded, loadVoucherSigners } from './voucher-signer-check.ts';

export interface Runtime {
  readonly config: AgentConfig;
  readonly store: FileStateStore;
  readonly adapter: RouterAdapter;
  readonly identity: RunningIdentity & { readonly serialNumber: string };
  readonly credentials?: DeviceCredentials;
  readonly fetchers: readonly Fetcher[];
  /** The FetchContext of one pass. */
  fetchContext(signal: AbortSignal): FetchContext;
  /** Runs the onboarding applier on a source. */
  apply(source: OnboardingSource, signal: AbortSignal): Promise<ApplyOutcome>;
}

export { openAdapter, openStore };

/**
 * Serial: derived from the IDevID subject serialNumber (the SN token of a Cisco SUDI
 * `PID:… SN:…`, else verbatim), else `[Device] serial_number`, else the adapter.
 */
export function resolveSerial(
  config: AgentConfig,
  credentials: DeviceCredentials | undefined,
  adapterIdentity: RunningIdentity,
): string {
  const raw = credentials === undefined ? undefined : subjectSerialNumber(credentials.certificate);
  const fromIdevid = raw === undefined ? undefined : deviceSerialFromSubject(raw).serial;
  const configured = config.device.serialNumber;
  // RFC 8572 T-29 / C-067: the voucher serial, the TLS client certificate and any other identity must
  // name the same device, so a configured serial may stand in for a missing one but never contradict
  // it; naming the IDevID's serial as written or as derived (the SN token) is no contradiction.
  if (configured !== undefined && fromIdevid !== undefined && configured !== fromIdevid && configured !== raw) {
    throw new SztpError(
      'SZTP_ERR_DEVICE_IDENTITY',
      `[Device] serial_number ${configured} contradicts the IDevID subject serialNumber ${raw ?? ''}`,
      {
        evidence: { configured, idevid: raw, derived: fromIdevid },
      },
    );
  }
  const serial = fromIdevid ?? configured ?? adapterIdentity.serialNumber;
  if (serial === undefined || serial === '') {
    throw new SztpError(
      'SZTP_ERR_DEVICE_IDENTITY',
      'no serial number: set [Device] serial_number, give an IDevID with a subject serialNumber, or use an adapter that reports one',
    );
  }
  return serial;
}

// Loaded on first use (issue 15, lazy loading): a daemon that finds nothing never loads the trust
// pipeline, the RESTCONF client (undici) or the onboarding steps.
const validate: ValidateFn = async (artifacts, ctx) =>
  (await import('../validation/pipeline.ts')).validateBootstrappingData(artifacts, ctx);
const download: DownloadFn = async (request) => (await import('../download/image-download.ts')).downloadImage(request);

function lazyBootstrapClient(csrDir: string): BootstrapClient {
  let client: Promise<BootstrapClient> | undefined;
  return {
    followRedirect: async (...args) => {
      client ??= import('../bootstrap/client.ts').then((m) =>
        m.createBootstrapClient({ csrKeyStore: createCsrKeyFileStore(csrDir) }),
      );
      return (await client).followRedirect(...args);
    },
  };
}

/** Builds every real dependency of `run` from the configuration. */
export async function buildRuntime(
  config: AgentConfig,
  log: Logger,
  store: FileStateStore,
  now: () => Date = () => new Date(),
): Promise<Runtime> {
  const { device } = config;
  if (device.idevidKey !== undefined && device.idevidCert === undefined) {
    throw new SztpError('SZTP_ERR_CONFIG_FILE', '[Device] idevid_key is set but idevid_cert is not');
  }
  const credentials =
    device.idevidCert === undefined
      ? undefined
      : await loadDeviceCredentials(device.idevidCert, device.idevidKey, device);
  const voucherTrustAnchors =
    device.voucherTrustAnchors === undefined
      ? []
      : await loadTrustAnchors(device.voucherTrustAnchors, 'voucher trust anchors');
  // Trust material is read once, here, and passed down (a SIGHUP reload builds a new runtime).
  const bootstrapTrustAnchors =
    device.bootstrapTrustAnchors === undefined
      ? []
      : await loadTrustAnchors(device.bootstrapTrustAnchors, 'bootstrap trust anchors');
  const voucherSigners = await loadVoucherSigners(device.voucherSigners, config.baseDir);
  const signerCheck = assessLoaded(config, credentials, voucherTrustAnchors, voucherSigners);
  if (signerCheck.refusal !== undefined) throw signerCheck.refusal;
  if (signerCheck.warning !== undefined)
    log.warn({ code: 'SZTP_ERR_VOUCHER_SIGNER_UNPINNED' }, `WARNING: ${signerCheck.warning}`);
  const adapter = await openAdapter(config, log);
  const capabilities = builtinAdapter(config.router.adapter)?.capabilities(config.router.settings);
  const adapterIdentity = await adapter.identity();
  const identity = { ...adapterIdentity, serialNumber: resolveSerial(config, credentials, adapterIdentity) };
  const subjectSerial = credentials === undefined ? undefined : subjectSerialNumber(credentials.certificate);
  if (subjectSerial !== undefined && subjectSerial !== identity.serialNumber) {
    log.info(
      { subjectSerialNumber: subjectSerial, serialNumber: identity.serialNumber },
      'device serial derived from the IDevID subject serialNumber (SN token)',
    );
  }
  const fetchers = createFetchers(config.fetchers);
  const networkJournal = stateNetworkJournal(store, now);
  const bootstrap = lazyBootstrapClient(stateLayout(config.agent.stateDir).csrDir);
  const fetchLog = room(log, 'fetch');
  const applyLog = room(log, 'onboarding');
  const policy = { acceptedAssertions: device.acceptedAssertions, clockTrusted: device.clockTrusted };

  const trustContext = (nonce?: Uint8Array): TrustContext => ({
    voucherTrustAnchors,
    ...(voucherSigners === undefined ? {} : { voucherSigners }),
    serialNumber: identity.serialNumber,
    ...(credentials === undefined ? {} : { device: credentials }),
    ...(nonce === undefined ? {} : { nonce }),
    now: now(),
    policy,
  });

  return {
    config,
    store,
    adapter,
    identity,
    ...(credentials === undefined ? {} : { credentials }),
    fetchers,
    fetchContext: (signal) => ({
      config,
      log: fetchLog,
      signal,
      identity,
      ...(credentials === undefined ? {} : { credentials }),
      bootstrapTrustAnchors,
      trustContext,
      validate,
      bootstrap,
      now,
      networkJournal,
    }),
    apply: async (source, signal) =>
      (await import('../onboarding/apply.ts')).applyOnboarding(source, {
        config,
        adapter,
        store,
        log: applyLog,
        signal,
        now,
        download,
        ...(capabilities === undefined ? {} : { capabilities }),
      }),
  };
}
