/**
 * The download sink: appends received bytes to a temporary file while hashing them (SHA-256
 * always, SHA-512 when an expected value uses it) in constant memory, with a byte cap and a reset
 * for restarting a transfer from zero (RFC 8572 §5.6 step 3: verify before install).
 * Bytes are copied into a small pool of 256 KiB slabs (the transport's read buffer is reused at
 * once); a full slab is hashed while still in cache and written at its file offset on the thread
 * pool, up to eight writes in flight. `append` says when the pool is used up, and `onDrain` when
 * a slab is free again: the transport pauses its socket in between (back-pressure), and bytes that
 * arrive while it stops get a slab of their own rather than being dropped.
 * Write-behind flushing: every 32 MiB written, an `fdatasync` runs in the background while the
 * transfer goes on, and `close()` ends with an `fsync`, so the verified file is durable before it
 * is renamed and the install's own fsync finds (almost) nothing left to write; dirty page cache
 * stays bounded on a small router. `abandon()` drops a failed transfer without that final fsync.
 * @module
 */
import { createHash, type Hash } from 'node:crypto';
import { close as closeFd, fdatasync, fsync, openSync, write } from 'node:fs';
import { SztpError } from '../errors.ts';
import { errnoOf, messageOf } from '../lib/error-info.ts';

/** Bytes written between two background `fdatasync` calls. */
const SYNC_EVERY_BYTES = 32 * 1024 * 1024;
/** One write to the file (and one hash update). */
const SLAB_BYTES = 256 * 1024;
/** Slabs kept for reuse: at most this much is copied and not yet written before back-pressure. */
const POOL_SLABS = 8;
/**
 * Writes in flight at once: every pooled slab. One at a time (as a write stream does) cost 0.5 s
 * more system time per GiB here (the socket paused and resumed far more often).
 */
const MAX_WRITES = POOL_SLABS;

type FdCallback = (err: NodeJS.ErrnoException | null) => void;

/** The flush calls the sink makes (node:fs by default; tests observe or fail them). */
export interface SinkSync {
  readonly fdatasync: (fd: number, cb: FdCallback) => void;
  readonly fsync: (fd: number, cb: FdCallback) => void;
}

export class HashingSink {
  bytes = 0;
  private fd: number | undefined;
  /** The slab being filled, and how much of it is. */
  private slab: Buffer | undefined;
  private fill = 0;
  private readonly free: Buffer[] = [];
  /** Slabs in existence (pooled, being filled or being written), extra ones included. */
  private slabs = 0;
  /** File offset of the next slab written. */
  private position = 0;
  private inflight = 0;
  private readonly queue: { slab: Buffer; n: number; at: number; fd: number }[] = [];
  /** Called whenever a write completes (close/abandon wait on it). */
  private settled: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  /** The first failed write or background flush: the transfer fails, the file is not trusted. */
  private failure: Error | undefined;
  /** Written since the last background flush was started, and the flush in flight. */
  private unsynced = 0;
  private syncing: Promise<void> | undefined;
  private closed = false;
  private sha256: Hash = createHash('sha256');
  private sha512: Hash | undefined;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly wantSha512: boolean,
    private readonly sync: SinkSync = { fdatasync, fsync },
  ) {
    this.sha512 = wantSha512 ? createHash('sha512') : undefined;
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

  private openFile(): number {
    if (this.fd !== undefined) return this.fd;
    try {
      this.fd = openSync(this.path, 'w', 0o600);
    } catch (err) {
      throw new SztpError('SZTP_ERR_DOWNLOAD_FAILED', `cannot create ${this.path}: ${messageOf(err)}`, {
        cause: err,
        evidence: { file: this.path, cause: errnoOf(err) ?? messageOf(err) },
      });
    }
    return this.fd;
  }

  /**
   * Counts, copies and (slab by slab) hashes and writes `buf[start, end)`; the bytes are taken in
   * full whatever the answer. False: the slab pool is used up, pause until `onDrain`. Throws on
   * the size cap or after a failed write.
   */
  append(buf: Uint8Array, start = 0, end = buf.length): boolean {
    if (this.failure !== undefined) throw this.failure;
    this.bytes += end - start;
    if (this.bytes > this.maxBytes) {
      throw new SztpError('SZTP_ERR_DOWNLOAD_TOO_LARGE', `image exceeds the size cap of ${this.maxBytes} bytes`, {
        evidence: { maxBytes: this.maxBytes },
      });
    }
    this.openFile();
    let pos = start;
    while (pos < end) {
      const slab = (this.slab ??= this.takeSlab());
      const k = Math.min(end - pos, SLAB_BYTES - this.fill);
      slab.set(buf.subarray(pos, pos + k), this.fill);
      this.fill += k;
      pos += k;
      if (this.fill === SLAB_BYTES) this.submit();
    }
    return this.free.length > 0 || this.slabs < POOL_SLABS;
  }

  /** Runs `cb` once a slab is free again (at once if one is, or after a failure). */
  onDrain(cb: () => void): void {
    if (this.free.length > 0 || this.slabs < POOL_SLABS || this.failure !== undefined) cb();
    else this.drainWaiters.push(cb);
  }

  /** Appends a chunk, waiting for a free slab when the pool is used up (file:// sources). */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.append(chunk)) return;
    await new Promise<void>((resolve) => {
      this.onDrain(resolve);
    });
    if (this.failure !== undefined) throw this.failure;
  }

  private takeSlab(): Buffer {
    const pooled = this.free.pop();
    if (pooled !== undefined) return pooled;
    this.slabs++;
    return Buffer.allocUnsafeSlow(SLAB_BYTES);
  }

  /** Hashes the slab being filled and writes it at its offset. */
  private submit(): void {
    const slab = this.slab;
    const n = this.fill;
    const fd = this.fd;
    this.slab = undefined;
    this.fill = 0;
    if (slab === undefined) return;
    if (n === 0 || fd === undefined) {
      this.free.push(slab);
      return;
    }
    const data = n === SLAB_BYTES ? slab : slab.subarray(0, n);
    this.sha256.update(data);
    this.sha512?.update(data);
    this.queue.push({ slab, n, at: this.position, fd });
    this.position += n;
    this.pump();
  }

  /** Starts queued writes, at most MAX_WRITES at a time. */
  private pump(): void {
    while (this.inflight < MAX_WRITES) {
      const next = this.queue.shift();
      if (next === undefined) return;
      const { slab, n, at, fd } = next;
      this.inflight++;
      write(fd, slab, 0, n, at, (err) => {
        this.inflight--;
        if (err) this.failure ??= err;
        else this.flushBehind(n, fd);
        // Extra slabs (taken while the pool was used up) are dropped once written.
        if (this.slabs > POOL_SLABS) this.slabs--;
        else this.free.push(slab);
        this.pump();
        for (const w of this.settled.splice(0)) w();
        for (const w of this.drainWaiters.splice(0)) w();
      });
    }
  }

  /** Starts a background fdatasync once SYNC_EVERY_BYTES more were written. */
  private flushBehind(n: number, fd: number): void {
    this.unsynced += n;
    if (this.unsynced < SYNC_EVERY_BYTES || this.syncing !== undefined || this.closed) return;
    this.unsynced = 0;
    this.syncing = new Promise<void>((resolve) => {
      this.sync.fdatasync(fd, (err) => {
        if (err) this.failure ??= err;
        this.syncing = undefined;
        resolve();
      });
    });
  }

  /** Waits until no write is in flight and no background flush runs. */
  private async quiesce(): Promise<void> {
    while (this.inflight > 0 || this.queue.length > 0)
      await new Promise<void>((resolve) => {
        this.settled.push(resolve);
      });
    await this.syncing;
  }

  private async closeFile(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    await new Promise<void>((resolve) => {
      closeFd(fd, () => {
        resolve();
      });
    });
  }

  /** Starts over from byte 0 (server ignored a Range request). */
  async reset(): Promise<void> {
    await this.abandon();
    this.closed = false;
    this.failure = undefined;
    this.unsynced = 0;
    this.position = 0;
    this.bytes = 0;
    this.sha256 = createHash('sha256');
    this.sha512 = this.wantSha512 ? createHash('sha512') : undefined;
  }

  /** Writes what is left, fsyncs and closes the file: durable once this resolves. */
  async close(): Promise<void> {
    if (this.closed) {
      if (this.failure !== undefined) throw this.failure;
      return;
    }
    this.closed = true;
    const fd = this.openFile(); // an empty image is still a file
    if (this.failure === undefined) this.submit();
    await this.quiesce();
    try {
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve, reject) => {
        this.sync.fsync(fd, (err) => {
          if (err) reject(err);
          else resolve();
        });
      });
    } catch (err) {
      this.failure ??= err as Error;
      throw err;
    } finally {
      await this.closeFile();
    }
  }

  /** Closes the file of a failed transfer (to be removed) without flushing it. */
  async abandon(): Promise<void> {
    this.closed = true;
    if (this.slab !== undefined) this.free.push(this.slab);
    this.slab = undefined;
    this.fill = 0;
    // Writes not started are dropped; those in flight are waited for (their descriptor stays open).
    for (const { slab } of this.queue.splice(0)) this.free.push(slab);
    await this.quiesce();
    await this.closeFile();
  }

  digests(): { sha256: Buffer; sha512?: Buffer } {
    const sha256 = this.sha256.digest();
    return this.sha512 === undefined ? { sha256 } : { sha256, sha512: this.sha512.digest() };
  }
}
