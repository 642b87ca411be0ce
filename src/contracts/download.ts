/**
 * The contract of the image downloader (implemented in src/download/image-download.ts, called by
 * the onboarding applier's boot-image step, RFC 8572 §5.6 step 1).
 * @module
 */
import type { Logger } from 'pino';
import type { HashAlgorithm } from '../types.ts';

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
