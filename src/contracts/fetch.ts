/**
 * The contracts between the fetchers, the bootstrap-server client, the onboarding applier and the
 * daemon: a Fetcher is one source of bootstrapping data (USB, DHCPv4/v6 on the management or data
 * ports, the well-known bootstrap servers). It either returns a validated onboarding source the
 * applier can run, or throws an SztpError whose code says why, and the loop moves on.
 *
 * Redirect information is followed inside the fetcher through `ctx.bootstrap` (the RESTCONF
 * client), so what comes back is always onboarding information, with the reporter of the server
 * that supplied it (a no-op reporter for untrusted sources).
 * @module
 */
import type { Logger } from 'pino';
import type { AgentConfig, FetcherName } from '../config/types.ts';
import type { ProgressReporter } from '../progress/reporter.ts';
import type { NetworkJournal } from './network-journal.ts';
import type {
  DeviceCredentials,
  RunningIdentity,
  OnboardingInformation,
  RedirectInformation,
  TrustContext,
  ValidateFn,
  ValidatedConveyedInformation,
} from '../types.ts';

export type { FetcherName };

/** Onboarding information ready to apply, and where it came from. */
export interface OnboardingSource {
  readonly fetcher: FetcherName;
  /** Human description for logs and status, e.g. `usb:/media/usb0/EN9` or `https://192.0.2.1:8443`. */
  readonly description: string;
  readonly info: ValidatedConveyedInformation & {
    readonly kind: 'onboarding-information';
    readonly onboarding: OnboardingInformation;
  };
  /** Where progress goes: the trusted server's report-progress, or NULL_REPORTER. */
  readonly reporter: ProgressReporter;
  /** True when the data came from a TLS-authenticated bootstrap server. */
  readonly trustedServer: boolean;
  /** Resolves `file://` download URIs (e.g. `file:///disk2:/images/x.bin`) to a local path; USB only. */
  readonly resolveLocalUri?: (uri: string) => string | undefined;
  /**
   * Releases what the fetcher holds (unmount, remove DHCP addresses). Called once, on the source
   * the daemon stops at (applied, or given up), never on a source it left through `next`.
   */
  readonly release?: () => Promise<void>;
  /**
   * RFC 8572 §5.6 (C-114): after this source failed to onboard, return to the enclosing loop:
   * the next address of the same name, the next entry of the same redirect list (also of the
   * enclosing lists), the next mount point or interface of the same fetcher. Resolves to the next
   * source (which then carries the release of what is still held) or rejects like `fetch` when
   * nothing is left (the fetcher has then released everything itself). Absent: nothing more.
   */
  readonly next?: () => Promise<OnboardingSource>;
}

/** Follows redirect information to bootstrap servers (implemented by src/bootstrap/). */
export interface BootstrapClient {
  /**
   * Walks the redirect list in order. `trusted` is true only for redirect information that is
   * itself trusted (signed and validated, or from a TLS-authenticated server); otherwise every
   * trust anchor in it is discarded and connections are provisional.
   */
  followRedirect(
    redirect: RedirectInformation,
    trusted: boolean,
    ctx: FetchContext,
    origin: { readonly fetcher: FetcherName; readonly description: string },
  ): Promise<OnboardingSource>;
}

/** Everything a fetcher may use; built by the daemon, fakes passed in by tests. */
export interface FetchContext {
  readonly config: AgentConfig;
  readonly log: Logger;
  /** Aborts the fetch: the agent stops, or the fetcher's budget of the pass ran out. */
  readonly signal: AbortSignal;
  /** Aborts only when the agent stops: for what outlives the fetch (progress reports during onboarding). */
  readonly runSignal?: AbortSignal;
  readonly identity: RunningIdentity & { readonly serialNumber: string };
  /** IDevID certificate, chain and key (absent on a device without one: only USB works then). */
  readonly credentials?: DeviceCredentials;
  /**
   * DER certificates of `[Device] bootstrap_trust_anchors` (empty when not configured), loaded once
   * by the daemon: pin the well-known servers, and promote a provisional server that chains to them.
   */
  readonly bootstrapTrustAnchors: readonly Uint8Array[];
  /** Builds the trust context for one validation (nonce: what was sent in this exchange). */
  readonly trustContext: (nonce?: Uint8Array) => TrustContext;
  readonly validate: ValidateFn;
  readonly bootstrap: BootstrapClient;
  readonly now: () => Date;
  /** Records interface changes durably before they are made (the next start undoes a killed agent's). */
  readonly networkJournal?: NetworkJournal;
}

/** One source of bootstrapping data (implemented in src/fetchers/, listed in src/fetchers/registry.ts). */
export interface Fetcher {
  readonly name: FetcherName;
  /** Returns onboarding information to apply, or throws an SztpError (never returns partial data). */
  fetch(ctx: FetchContext): Promise<OnboardingSource>;
}
