/**
 * The download sink: appends chunks to a temporary file while hashing them (SHA-256 always,
 * SHA-512 when an expected value uses it) in constant memory, with write back-pressure (`pump`
 * streams a response without a promise per chunk), a byte cap,
 * and a reset for restarting a transfer from zero (RFC 8572 §5.6 step 3: verify before install).
 * Write-behind flushing: every 32 MiB written, an `fdatasync` runs in the background while the
 * transfer goes on, and `close()` ends with an `fsync`, so the verified file is durable before it
 * is renamed and the install's own fsync finds (almost) nothing left to write; dirty page cache
 * stays bounded on a small router. `abandon()` drops a failed transfer without that final fsync.
 * @module
 */
import { createHash, type Hash } from 'node:crypto';
import { close as closeFd, createWriteStream, fdatasync, fsync, open, write, writev, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { SztpError } from '../errors.ts';
import { GcPacer } from './gc-pacer.ts';

/** Bytes written between two background `fdatasync` calls. */
const SYNC_EVERY_BYTES = 32 * 1024 * 1024;

type FdCallback = (err: NodeJS.ErrnoException | null) => void;

/** The flush calls the sink makes (node:fs by default; tests observe or fail them). */
export interface SinkSync {
  readonly fdatasync: (fd: number, cb: FdCallback) => void;
  readonly fsync: (fd: number, cb: FdCallback) => void;
}

export class HashingSink {
  private stream: WriteStream;
  /** Written since the last background flush was started. */
  private unsynced = 0;
  /** The background flush in flight, if any. */
  private syncing: Promise<void> | undefined;
  /** A background flush failed (e.g. EIO): the file cannot be trusted to be durable. */
  private syncError: Error | undefined;
  /** Set by `close()`: the descriptor is fsync'd before it is closed. */
  private durable = false;
  /** The open file's descriptor (for the background flush). */
  private fd: number | undefined;
  private sha256: Hash = createHash('sha256');
  private sha512: Hash | undefined;
  bytes = 0;
  private readonly pacer = new GcPacer();

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly wantSha512: boolean,
    private readonly sync: SinkSync = { fdatasync, fsync },
  ) {
    this.stream = this.open('w');
    this.sha512 = wantSha512 ? createHash('sha512') : undefined;
  }

  private open(flags: string): WriteStream {
    this.durable = false;
    this.unsynced = 0;
    this.syncError = undefined;
    this.fd = undefined;
    // The stream's own fs calls, except close: that one waits for the background flush and,
    // for close() (not abandon()), fsyncs first.
    const closeAfterSync = (fd: number, cb: (err?: NodeJS.ErrnoException | null) => void): void => {
      this.finishFile(fd).then(
        () => {
          closeFd(fd, cb);
        },
        (err: unknown) => {
          closeFd(fd, () => {
            cb(err as NodeJS.ErrnoException);
          });
        },
      );
    };
    const s = createWriteStream(this.path, {
      flags,
      mode: 0o600,
      highWaterMark: 256 * 1024,
      fs: { open, write, writev, close: closeAfterSync },
    });
    s.on('error', () => undefined); // surfaced through write/close promises
    s.on('open', (fd: number) => {
      if (this.stream === s) this.fd = fd;
    });
    s.on('close', () => {
      if (this.stream === s) this.fd = undefined;
    });
    return s;
  }

  private async finishFile(fd: number): Promise<void> {
    if (!this.durable) return; // abandon(): a stale background flush on a reused fd number is harmless
    await this.syncing;
    if (this.syncError !== undefined) throw this.syncError;
    await new Promise<void>((resolve, reject) => {
      this.sync.fsync(fd, (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
  }

  /** Starts a background fdatasync once SYNC_EVERY_BYTES more were handed to the file. */
  private flushBehind(bytes: number): void {
    this.unsynced += bytes;
    const fd = this.fd;
    if (this.unsynced < SYNC_EVERY_BYTES || this.syncing !== undefined || fd === undefined) return;
    this.unsynced = 0;
    const stream = this.stream;
    this.syncing = new Promise<void>((resolve) => {
      this.sync.fdatasync(fd, (err) => {
        if (err && this.stream === stream) this.syncError ??= err;
        this.syncing = undefined;
        resolve();
      });
    });
  }

  /** Refuses a transfer announced (Content-Length) to end beyond the cap, before reading it. */
  checkCap(totalBytes: number, uri: string): Promise<void> {
    if (totalBytes <= this.maxBytes) return Promise.resolve();
    return Promise.reject(
      new SztpError(
        'SZTP_ERR_DOWNLOAD_TOO_LARGE',
        `${uri}: ${totalBytes} bytes exceed the size cap of ${this.maxBytes}`,
        {
          evidence: { uri, bytes: totalBytes, maxBytes: this.maxBytes },
        },
      ),
    );
  }

  /** Counts and hashes a chunk, then hands it to the file; false when the file wants a 'drain' first. */
  private take(chunk: Uint8Array): boolean {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      throw new SztpError('SZTP_ERR_DOWNLOAD_TOO_LARGE', `image exceeds the size cap of ${this.maxBytes} bytes`, {
        evidence: { maxBytes: this.maxBytes },
      });
    }
    this.sha256.update(chunk);
    this.sha512?.update(chunk);
    this.pacer.received(chunk.length);
    this.flushBehind(chunk.length);
    return this.stream.write(chunk);
  }

  async write(chunk: Uint8Array): Promise<void> {
    // events.once rejects when 'error' fires while waiting for 'drain'.
    if (!this.take(chunk)) await once(this.stream, 'drain');
  }

  /**
   * Appends everything `source` delivers until it ends, with no promise per chunk (a 1 GiB image
   * is about 65 000 TLS records): 'data' events, pausing the source while the file drains.
   * Rejects when the source fails or closes early (the connection dropped: resumable), on the
   * size cap, or when the file cannot be written; the source is destroyed then.
   */
  async pump(source: Readable): Promise<void> {
    const file = this.stream;
    const onFileError = (err: Error): void => {
      source.destroy(err);
    };
    const resume = (): void => {
      source.resume();
    };
    file.on('error', onFileError);
    source.on('data', (chunk: Buffer) => {
      try {
        if (!this.take(chunk)) {
          source.pause();
          file.once('drain', resume);
        }
      } catch (err) {
        source.destroy(err as Error);
      }
    });
    try {
      await finished(source);
    } finally {
      file.off('error', onFileError);
      file.off('drain', resume);
    }
  }

  /** Starts over from byte 0 (server ignored a Range request). */
  async reset(): Promise<void> {
    await this.abandon();
    this.stream = this.open('w');
    this.sha256 = createHash('sha256');
    this.sha512 = this.wantSha512 ? createHash('sha512') : undefined;
    this.bytes = 0;
  }

  /** Writes what is buffered, fsyncs and closes the file: durable once this resolves. */
  async close(): Promise<void> {
    if (this.stream.closed) {
      if (this.stream.errored) throw this.stream.errored;
      return;
    }
    this.durable = true;
    const closed = once(this.stream, 'close'); // rejects on 'error' (a failed write, flush or fsync)
    this.stream.end();
    await closed;
  }

  /** Closes the file of a failed transfer (to be removed) without flushing it. */
  async abandon(): Promise<void> {
    if (this.stream.closed) return;
    this.durable = false;
    const closed = new Promise<void>((resolve) =>
      this.stream.once('close', () => {
        resolve();
      }),
    );
    this.stream.destroy();
    await closed;
  }

  digests(): { sha256: Buffer; sha512?: Buffer } {
    const sha256 = this.sha256.digest();
    return this.sha512 === undefined ? { sha256 } : { sha256, sha512: this.sha512.digest() };
  }
}
