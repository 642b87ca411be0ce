/**
 * Contracts of the onboarding room: what the applier needs (ApplyDeps), what it returns
 * (ApplyOutcome), and the image downloader it calls (DownloadFn, implemented in
 * src/download/image-download.ts).
 * @module
 */
import type { Logger } from 'pino';
import type { RouterAdapter } from '../adapters/router-adapter.ts';
import type { AgentConfig } from '../config/types.ts';
import type { StateStore } from '../state/types.ts';
import type { HashAlgorithm } from '../types.ts';

/** `complete`: bootstrap-complete was reached. `reboot`: an image was installed and reboot() called (exit 10). */
export type ApplyOutcome = { readonly kind: 'complete' } | { readonly kind: 'reboot' };

export interface DownloadRequest {
  /** Ordered mirrors, exactly the download-uri list of the onboarding information. */
  readonly uris: readonly string[];
  /** Supported expected hashes; the image must match one of them. */
  readonly expected: readonly { readonly algorithm: HashAlgorithm; readonly value: Uint8Array }[];
  /** Directory to write into (the final file is `<destDir>/<sha256>.img`). */
  readonly destDir: string;
  /** Resolves file:// URIs (USB); absent: file:// is refused. */
  readonly resolveLocalUri?: (uri: string) => string | undefined;
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
  readonly log: Logger;
}

export interface DownloadResult {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  /** The mirror that delivered the image. */
  readonly uri: string;
}

/** Downloads an image, streaming to disk while hashing; throws SZTP_ERR_DOWNLOAD_* or SZTP_ERR_BOOT_IMAGE_HASH. */
export type DownloadFn = (request: DownloadRequest) => Promise<DownloadResult>;

export interface ApplyDeps {
  readonly config: AgentConfig;
  readonly adapter: RouterAdapter;
  readonly store: StateStore;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly now: () => Date;
  readonly download: DownloadFn;
}
