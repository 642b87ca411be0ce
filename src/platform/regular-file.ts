/**
 * Opening and reading files that an attacker may have placed (a USB stick, a `file://` boot
 * image): only regular files, and never a wait without a deadline. A FIFO, a device node or a
 * socket in place of a file would otherwise block `open()` or `read()` for ever, in a libuv
 * worker thread that neither a timer nor SIGTERM can free. The rule:
 * - `lstat` first: only a regular file (no symlink, FIFO, device, socket, directory);
 * - open with `O_RDONLY | O_NONBLOCK | O_NOFOLLOW` (opening a FIFO this way returns at once);
 * - `fstat` the open descriptor: still a regular file (the path may have been swapped);
 * - every read races a deadline and the abort signal.
 * @module
 */
import { constants } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { SztpError, type SztpErrorCode } from '../errors.ts';

export interface RegularFileOptions {
  /** Error code for "not a regular file" / "cannot open". */
  readonly code: SztpErrorCode;
  /** Deadline for each read (ms). */
  readonly readTimeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface OpenedFile {
  readonly handle: FileHandle;
  readonly size: number;
}

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/** Opens `path` if it is a regular file (checked before and after the open); never blocks on a FIFO. */
export async function openRegularFile(path: string, o: Pick<RegularFileOptions, 'code'>): Promise<OpenedFile> {
  const before = await lstat(path).catch((err: unknown) => {
    throw new SztpError(o.code, `cannot stat ${path}: ${errno(err) ?? String(err)}`, {
      cause: err,
      evidence: { path },
    });
  });
  if (!before.isFile()) throw new SztpError(o.code, `${path} is not a regular file`, { evidence: { path } });
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    throw new SztpError(o.code, `cannot open ${path}: ${errno(err) ?? String(err)}`, {
      cause: err,
      evidence: { path },
    });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.ino !== before.ino || st.dev !== before.dev) {
      throw new SztpError(o.code, `${path} is not a regular file (changed while opening)`, { evidence: { path } });
    }
    return { handle, size: st.size };
  } catch (err) {
    closeLater(handle);
    throw err;
  }
}

/** Closes without waiting: FileHandle.close() waits for a read that may never return. */
function closeLater(handle: FileHandle): void {
  handle.close().catch(() => undefined);
}

/** One read that gives up after `timeoutMs` or on abort (the worker thread may stay busy; we do not wait for it). */
export function readWithDeadline(
  handle: FileHandle,
  buffer: Uint8Array,
  position: number,
  o: RegularFileOptions,
  path: string,
): Promise<number> {
  if (o.signal?.aborted === true) return Promise.reject(new SztpError('SZTP_ERR_ABORTED', `reading ${path} aborted`));
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(new SztpError('SZTP_ERR_ABORTED', `reading ${path} aborted`));
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new SztpError(o.code, `reading ${path} took longer than ${o.readTimeoutMs} ms`, {
          evidence: { path, timeoutMs: o.readTimeoutMs },
        }),
      );
    }, o.readTimeoutMs);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    handle.read(buffer, 0, buffer.length, position).then(
      (r) => {
        done();
        resolve(r.bytesRead);
      },
      (err: unknown) => {
        done();
        reject(
          new SztpError(o.code, `cannot read ${path}: ${errno(err) ?? String(err)}`, {
            cause: err,
            evidence: { path },
          }),
        );
      },
    );
  });
}

/**
 * Reads a regular file chunk by chunk, each chunk under the deadline, handing each to `onChunk`
 * (which may apply back-pressure). Stops at `size` bytes (the size seen at open; a file that grows
 * meanwhile is not read further).
 */
export async function streamRegularFile(
  path: string,
  o: RegularFileOptions,
  onChunk: (chunk: Uint8Array) => Promise<void>,
  chunkBytes = 1 << 20,
): Promise<number> {
  const { handle, size } = await openRegularFile(path, o);
  try {
    let position = 0;
    while (position < size) {
      const buffer = new Uint8Array(Math.min(chunkBytes, size - position));
      const n = await readWithDeadline(handle, buffer, position, o, path);
      if (n === 0) break;
      await onChunk(buffer.subarray(0, n));
      position += n;
    }
    return position;
  } finally {
    closeLater(handle);
  }
}

/** Reads a whole regular file of at most `maxBytes` (larger: `o.code`). */
export async function readRegularFile(path: string, maxBytes: number, o: RegularFileOptions): Promise<Uint8Array> {
  const { handle, size } = await openRegularFile(path, o);
  try {
    if (size > maxBytes)
      throw new SztpError(o.code, `${path} is ${size} bytes (limit ${maxBytes})`, {
        evidence: { path, size, limit: maxBytes },
      });
    const buffer = new Uint8Array(size);
    let position = 0;
    while (position < size) {
      const n = await readWithDeadline(handle, buffer.subarray(position), position, o, path);
      if (n === 0) break;
      position += n;
    }
    return buffer.subarray(0, position);
  } finally {
    closeLater(handle);
  }
}
