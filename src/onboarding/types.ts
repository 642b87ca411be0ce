/**
 * Contracts of the onboarding room: what the applier needs (ApplyDeps, including the image
 * downloader of src/contracts/download.ts) and what it returns (ApplyOutcome).
 * @module
 */
import type { Logger } from 'pino';
import type { AdapterCapability, RouterAdapter } from '../adapters/router-adapter.ts';
import type { AgentConfig } from '../config/types.ts';
import type { StateStore } from '../state/types.ts';
import type { DownloadFn } from '../contracts/download.ts';

/** `complete`: bootstrap-complete was reached. `reboot`: an image was installed and reboot() called (exit 10). */
export type ApplyOutcome = { readonly kind: 'complete' } | { readonly kind: 'reboot' };

export interface ApplyDeps {
  readonly config: AgentConfig;
  readonly adapter: RouterAdapter;
  readonly store: StateStore;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly now: () => Date;
  readonly download: DownloadFn;
  /** What the adapter can do (built-in adapters, src/adapters/registry.ts); absent: not checked (module adapters). */
  readonly capabilities?: ReadonlySet<AdapterCapability>;
}
