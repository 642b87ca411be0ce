/**
 * The streaming HTTP/1.1 response reader of the boot-image download (RFC 9112; RFC 8572 §5.6 step
 * 3): fed the bytes of one connection as they arrive, it parses the head (interim 1xx heads
 * skipped, 101 refused, the whole head section within `maxHeaderBytes`), then hands the body to a
 * callback without copying, delimited by Content-Length, the chunked transfer coding or the end of
 * the connection. Anything malformed or ambiguous is an error from the caller's `bad`; chunk-size
 * lines, extensions and trailers are bounded (a server cannot make the agent buffer or loop on
 * framing). The body's own size is the sink's to cap. Pure: no I/O.
 * @module
 */
import { bodyFraming, checkTrailer, chunkSize, parseHead, type Bad, type Head } from '../lib/http1.ts';

/** Receives body bytes `buf[start, end)`; the buffer is only valid during the call. */
export type BodyCallback = (buf: Buffer, start: number, end: number) => void;

/** Longest chunk-size line (with extensions) and longest trailer section accepted. */
const MAX_CHUNK_LINE = 1024;
/** Interim (1xx) heads accepted before the final one. */
const MAX_INTERIM = 8;
/** Framing bytes of a chunked body may be at most this many times its data bytes (plus 64 KiB). */
const CHUNKED_OVERHEAD = 4;

type State =
  | { readonly kind: 'head' }
  | { readonly kind: 'length'; remaining: number }
  | { readonly kind: 'close' }
  | { readonly kind: 'size-line' }
  | { readonly kind: 'data'; remaining: number }
  | { readonly kind: 'data-crlf'; seen: number }
  | { readonly kind: 'trailer' }
  | { readonly kind: 'done' };

export class ResponseReader {
  /** The final head, once parsed. */
  head: Head | undefined;
  private state: State = { kind: 'head' };
  /** Bytes of the head section (or of one chunk-size / trailer line) not yet complete. */
  private pending: Buffer = Buffer.alloc(0);
  private interim = 0;
  /** Head bytes consumed by interim heads (they count against the head budget). */
  private headUsed = 0;
  private trailerBytes = 0;
  private dataBytes = 0;
  private framingBytes = 0;

  constructor(
    private readonly maxHeaderBytes: number,
    private readonly bad: Bad,
  ) {}

  /** Whether the response is complete (bytes after it are ignored: the request said close). */
  get complete(): boolean {
    return this.state.kind === 'done';
  }

  /**
   * Consumes `buf[start, end)` (only those bytes: the buffer may be a reused read buffer). Body
   * bytes go to `onBody`; `head` is set once the final head is parsed. Bytes after a complete
   * response are ignored (the request said Connection: close).
   */
  feed(buf: Buffer, start: number, end: number, onBody: BodyCallback): void {
    let pos = start;
    while (pos < end && this.state.kind !== 'done') {
      const s = this.state;
      switch (s.kind) {
        case 'head':
          pos = this.feedHead(buf, pos, end);
          if (this.state.kind === 'head') return;
          break;
        case 'length': {
          const n = Math.min(s.remaining, end - pos);
          onBody(buf, pos, pos + n);
          s.remaining -= n;
          pos += n;
          if (s.remaining === 0) this.state = { kind: 'done' };
          break;
        }
        case 'close':
          onBody(buf, pos, end);
          return;
        case 'size-line':
        case 'trailer':
          pos = this.feedLine(buf, pos, end);
          break;
        case 'data': {
          const n = Math.min(s.remaining, end - pos);
          this.dataBytes += n;
          onBody(buf, pos, pos + n);
          s.remaining -= n;
          pos += n;
          if (s.remaining === 0) this.state = { kind: 'data-crlf', seen: 0 };
          break;
        }
        case 'data-crlf': {
          const want = s.seen === 0 ? 0x0d : 0x0a;
          if (buf[pos] !== want) throw this.bad('chunk data not followed by CRLF');
          pos++;
          this.framing(1);
          s.seen++;
          if (s.seen === 2) this.state = { kind: 'size-line' };
          break;
        }
      }
    }
  }

  /** The connection ended: complete for a close-delimited body; otherwise the response was cut. */
  end(): 'complete' | 'truncated' {
    if (this.state.kind === 'close') this.state = { kind: 'done' };
    return this.state.kind === 'done' ? 'complete' : 'truncated';
  }

  private feedHead(buf: Buffer, pos: number, end: number): number {
    this.pending = Buffer.concat([this.pending, buf.subarray(pos, end)]);
    for (;;) {
      const head = parseHead(this.pending, 0, this.maxHeaderBytes - this.headUsed, this.bad);
      if (head === undefined) return end;
      this.pending = this.pending.subarray(head.end);
      if (head.status < 200) {
        if (head.status === 101 || this.interim >= MAX_INTERIM)
          throw this.bad(`unexpected interim status ${head.status}`);
        this.interim++;
        this.headUsed += head.end;
        if (this.pending.length === 0) return end;
        continue;
      }
      this.head = head;
      const framing = bodyFraming(head, this.bad);
      this.state =
        framing === 'none'
          ? { kind: 'done' }
          : framing === 'chunked'
            ? { kind: 'size-line' }
            : framing === 'close'
              ? { kind: 'close' }
              : framing.length === 0
                ? { kind: 'done' }
                : { kind: 'length', remaining: framing.length };
      // `pending` held no complete head before this call, so what follows the head came from `buf`.
      const rest = this.pending.length;
      this.pending = Buffer.alloc(0);
      return end - rest;
    }
  }

  /** A chunk-size line or a trailer line, up to its CRLF. */
  private feedLine(buf: Buffer, pos: number, end: number): number {
    const lf = buf.subarray(pos, end).indexOf(0x0a);
    const stop = lf < 0 ? end : pos + lf + 1;
    this.framing(stop - pos);
    if (this.pending.length + (stop - pos) > MAX_CHUNK_LINE) throw this.bad('chunk size or trailer line too long');
    this.pending = Buffer.concat([this.pending, buf.subarray(pos, stop)]);
    if (lf < 0) return end;
    const line = this.pending.toString('latin1');
    this.pending = Buffer.alloc(0);
    if (!line.endsWith('\r\n')) throw this.bad('a bare LF in chunked framing');
    const text = line.slice(0, -2);
    if (this.state.kind === 'size-line') {
      const n = chunkSize(text, this.bad);
      this.state = n === 0 ? { kind: 'trailer' } : { kind: 'data', remaining: n };
      return stop;
    }
    if (text === '') {
      this.state = { kind: 'done' };
      return stop;
    }
    checkTrailer(text, this.bad);
    this.trailerBytes += line.length;
    if (this.trailerBytes > this.maxHeaderBytes) throw this.bad('trailer section too large');
    return stop;
  }

  /** Counts chunked framing bytes against the data they frame (1-byte chunks for ever are refused). */
  private framing(n: number): void {
    this.framingBytes += n;
    if (this.framingBytes > CHUNKED_OVERHEAD * this.dataBytes + 64 * 1024)
      throw this.bad('chunked framing overhead too large');
  }
}
