/**
 * Boot-image download (RFC 8572 §5.6 step 3; C-120, C-121, C-141, T-23): the `download-uri`
 * mirrors in order (https without server authentication, http, and file:// only through the
 * source's resolver), streamed to a temporary file in `destDir` while hashing, verified against the
 * expected hashes, then renamed atomically to `<destDir>/<sha256>.img`. A verified file already
 * there is reused without downloading; the temporary files of downloads killed in an earlier run
 * are removed first. No URI outside the list is ever contacted.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SztpError, toSztpError } from '../errors.ts';
import { hashFile } from '../lib/hash.ts';
import type { DownloadFn, DownloadRequest, DownloadResult } from '../contracts/download.ts';
import { openRegularFile, streamRegularFile } from '../platform/regular-file.ts';
import { fetchHttp } from './http-fetch.ts';
import { HashingSink } from './sink.ts';

export interface DownloaderOptions {
  /** No byte received for this long: SZTP_ERR_DOWNLOAD_TIMEOUT (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** Whole download (all mirrors) deadline (default 2 h). */
  readonly totalTimeoutMs?: number;
  /** Range resumes per mirror after dropped connections (default 5). */
  readonly maxResumes?: number;
  /** Free bytes available in a directory (default statfs). */
  readonly freeBytes?: (dir: string) => Promise<number>;
}

const freeBytesOf = async (dir: string): Promise<number> => {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
};

function matches(request: DownloadRequest, d: { sha256: Buffer; sha512?: Buffer }): boolean {
  return request.expected.some((e) => {
    const got = e.algorithm === 'sha-256' ? d.sha256 : d.sha512;
    return got !== undefined && Buffer.from(e.value).equals(got);
  });
}

async function cached(request: DownloadRequest): Promise<DownloadResult | undefined> {
  const sha = request.expected.find((e) => e.algorithm === 'sha-256');
  if (sha === undefined) return undefined;
  const path = join(request.destDir, `${Buffer.from(sha.value).toString('hex')}.img`);
  const st = await stat(path).catch(() => undefined);
  if (st?.isFile() !== true) return undefined;
  if (!(await hashFile(path)).equals(Buffer.from(sha.value))) {
    await rm(path, { force: true });
    return undefined;
  }
  return { path, sha256: Buffer.from(sha.value).toString('hex'), bytes: st.size, uri: pathToFileURL(path).href };
}

/**
 * Removes the temporary files of downloads that died with their process (kill -9, power loss):
 * each can be as large as an image, and left to pile up over repeated crashes they would fail every
 * later download on free space. `destDir` belongs to one download at a time (the agent's images
 * directory, under its state-directory lock, and one boot image per onboarding), so any part file
 * found here before a download starts is dead.
 */
async function removeStaleParts(dir: string, log: DownloadRequest['log']): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!/^\.download-[0-9a-f]{12}\.part$/.test(name)) continue;
    const path = join(dir, name);
    const st = await lstat(path).catch(() => undefined);
    if (st?.isFile() !== true) continue;
    await rm(path, { force: true });
    log.info({ path, bytes: st.size }, 'removed the partial download of an earlier run');
  }
}

export function createImageDownloader(options: DownloaderOptions = {}): DownloadFn {
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const freeBytes = options.freeBytes ?? freeBytesOf;
  return async (request) => {
    if (request.expected.length === 0)
      throw new SztpError('SZTP_ERR_BOOT_IMAGE_NO_VERIFIER', 'no supported image-verification hash');
    if (request.uris.length === 0) throw new SztpError('SZTP_ERR_DOWNLOAD_URI', 'boot-image has no download-uri');
    await mkdir(request.destDir, { recursive: true, mode: 0o700 });
    await removeStaleParts(request.destDir, request.log);
    const hit = await cached(request);
    if (hit !== undefined) {
      request.log.info({ path: hit.path }, 'verified boot image already present; not downloading');
      return hit;
    }
    const deadline = AbortSignal.timeout(options.totalTimeoutMs ?? 2 * 3600_000);
    const signal = request.signal === undefined ? deadline : AbortSignal.any([request.signal, deadline]);
    const wantSha512 = request.expected.some((e) => e.algorithm === 'sha-512');
    const failures: SztpError[] = [];
    for (const uri of request.uris) {
      const tmp = join(request.destDir, `.download-${randomBytes(6).toString('hex')}.part`);
      const sink = new HashingSink(tmp, request.maxBytes, wantSha512);
      try {
        await fetchOne(uri, sink, request, { idleTimeoutMs, signal, freeBytes, options });
        await sink.close();
        const d = sink.digests();
        if (!matches(request, d)) {
          throw new SztpError(
            'SZTP_ERR_BOOT_IMAGE_HASH',
            `${uri}: image matches none of the image-verification hashes`,
            {
              evidence: {
                uri,
                sha256: d.sha256.toString('hex'),
                expected: request.expected.map((e) => `${e.algorithm}:${Buffer.from(e.value).toString('hex')}`),
              },
            },
          );
        }
        const sha256 = d.sha256.toString('hex');
        const path = join(request.destDir, `${sha256}.img`);
        await rename(tmp, path);
        request.log.info({ uri, path, bytes: sink.bytes }, 'boot image downloaded and verified');
        return { path, sha256, bytes: sink.bytes, uri };
      } catch (err) {
        await sink.abandon();
        await rm(tmp, { force: true });
        const e = toSztpError(err, 'SZTP_ERR_DOWNLOAD_FAILED');
        if (e.code === 'SZTP_ERR_ABORTED' || e.code === 'SZTP_ERR_BOOT_IMAGE_SPACE' || signal.aborted) throw e;
        // Credentials in a URI (refused, never sent) are not logged either.
        request.log.warn(
          { err: e.toJSON(), uri: uri.replace(/\/\/[^@/]*@/, '//') },
          'download mirror failed; trying the next one',
        );
        failures.push(e);
      }
    }
    const [only] = failures;
    if (failures.length === 1 && only !== undefined) throw only;
    const hash = failures.find((f) => f.code === 'SZTP_ERR_BOOT_IMAGE_HASH');
    if (hash !== undefined) throw hash;
    throw new SztpError(
      'SZTP_ERR_DOWNLOAD_FAILED',
      `every download-uri failed (${failures.map((f) => f.code).join(', ')})`,
      {
        evidence: { failures: failures.map((f) => ({ code: f.code, message: f.message })) },
      },
    );
  };
}

interface FetchSettings {
  readonly idleTimeoutMs: number;
  readonly signal: AbortSignal;
  readonly freeBytes: (dir: string) => Promise<number>;
  readonly options: DownloaderOptions;
}

async function fetchOne(uri: string, sink: HashingSink, request: DownloadRequest, s: FetchSettings): Promise<void> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  const checkSpace = async (bytes: number): Promise<void> => {
    const free = await s.freeBytes(request.destDir);
    if (free < bytes) {
      throw new SztpError('SZTP_ERR_BOOT_IMAGE_SPACE', `${bytes} bytes needed in ${request.destDir}, ${free} free`, {
        evidence: { needed: bytes, free, dir: request.destDir },
      });
    }
  };
  if (scheme === 'https' || scheme === 'http') {
    await fetchHttp(uri, sink, {
      idleTimeoutMs: s.idleTimeoutMs,
      maxResumes: s.options.maxResumes ?? 5,
      signal: s.signal,
      onSize: checkSpace,
      onResume: (offset, attempt) => {
        request.log.warn({ uri, offset, attempt }, 'download dropped; resuming with Range');
      },
    });
    return;
  }
  if (scheme === 'file') {
    const path = request.resolveLocalUri?.(uri);
    if (path === undefined)
      throw new SztpError('SZTP_ERR_DOWNLOAD_URI', `${uri}: file:// is only allowed for local sources`, {
        evidence: { uri },
      });
    // A FIFO or device in place of the image would block open() for ever: regular files only,
    // each read under the idle deadline, and the abort signal (SIGTERM, total deadline) honoured.
    const { handle, size } = await openRegularFile(path, { code: 'SZTP_ERR_DOWNLOAD_URI' });
    await handle.close().catch(() => undefined);
    await sink.checkCap(size, uri);
    await checkSpace(size);
    await streamRegularFile(
      path,
      { code: 'SZTP_ERR_DOWNLOAD_FAILED', readTimeoutMs: s.idleTimeoutMs, signal: s.signal },
      (chunk) => sink.write(chunk),
    );
    return;
  }
  throw new SztpError('SZTP_ERR_DOWNLOAD_URI', `${uri}: unsupported scheme`, { evidence: { uri } });
}

/** The downloader with default deadlines (idle 60 s, total 2 h, 5 resumes per mirror). */
export const downloadImage: DownloadFn = createImageDownloader();
