/**
 * The download sink: appends chunks to a temporary file while hashing them (SHA-256 always,
 * SHA-512 when an expected value uses it) in constant memory, with write back-pressure (`pump`
 * streams a response without a promise per chunk), a byte cap,
 * and a reset for restarting a transfer from zero (RFC 8572 §5.6 step 3: verify before install).
 * @module
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { SztpError } from '../errors.ts';
import { GcPacer } from './gc-pacer.ts';

export class HashingSink {
  private stream: WriteStream;
  private sha256: Hash = createHash('sha256');
  private sha512: Hash | undefined;
  bytes = 0;
  private readonly pacer = new GcPacer();

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly wantSha512: boolean,
  ) {
    this.stream = this.open('w');
    this.sha512 = wantSha512 ? createHash('sha512') : undefined;
  }

  private open(flags: string): WriteStream {
    const s = createWriteStream(this.path, { flags, mode: 0o600, highWaterMark: 256 * 1024 });
    s.on('error', () => undefined); // surfaced through write/close promises
    return s;
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
    await this.close();
    this.stream = this.open('w');
    this.sha256 = createHash('sha256');
    this.sha512 = this.wantSha512 ? createHash('sha512') : undefined;
    this.bytes = 0;
  }

  async close(): Promise<void> {
    if (this.stream.writableEnded) return;
    await new Promise<void>((resolve, reject) => {
      this.stream.end((err?: Error | null) => {
        if (err) reject(err);
        else resolve();
      });
    });
  }

  digests(): { sha256: Buffer; sha512?: Buffer } {
    const sha256 = this.sha256.digest();
    return this.sha512 === undefined ? { sha256 } : { sha256, sha512: this.sha512.digest() };
  }
}
