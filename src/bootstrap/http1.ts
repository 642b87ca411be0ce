/**
 * A minimal HTTP/1.1 codec for the TLS helper transport (./tls-helper.ts): serialises one request
 * with `Connection: close` and parses the one response read back from the helper's stdout
 * (RFC 9112: status line, header fields, a body delimited by Content-Length, chunked transfer
 * coding, or the end of the connection). The input is untrusted server bytes: anything malformed,
 * ambiguous (Content-Length with Transfer-Encoding, differing Content-Lengths, obsolete line
 * folding, control characters) or larger than the limits is SZTP_ERR_SERVER_RESPONSE, and the
 * bytes are only ever data (header values are kept verbatim, never interpreted beyond framing).
 * Pure: no I/O; the caller feeds the bytes received so far and whether the stream ended.
 * @module
 */
import { SztpError } from '../errors.ts';
import {
  bodyFraming,
  checkTrailer,
  chunkSize,
  parseHead,
  serializeRequest as serializeHttpRequest,
  type Head,
  type HttpRequest,
} from '../lib/http1.ts';

export type { HttpRequest } from '../lib/http1.ts';

export interface HttpLimits {
  /** Bytes of the status line and header fields (and of interim 1xx heads and chunked trailers). */
  readonly maxHeaderBytes: number;
  /** Bytes of the (decoded) body: `[Bootstrap] max_response_bytes`. */
  readonly maxBodyBytes: number;
}

export interface ParsedResponse {
  readonly status: number;
  /** Field names lower-cased; every value of a field, in order. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: Uint8Array;
}

export type ParseResult = { readonly done: false } | { readonly done: true; readonly response: ParsedResponse };

/** Header values whose lines undici also accepts by default. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

/** Raw bytes of a chunked body may be at most this many times the body cap (plus 64 KiB). */
const CHUNKED_OVERHEAD = 4;

const CRLF = Buffer.from('\r\n');

const bad = (why: string): SztpError =>
  new SztpError('SZTP_ERR_SERVER_RESPONSE', `malformed HTTP response from the TLS helper: ${why}`, {
    evidence: { why },
  });

/** The bytes of one request (`Connection: close`); refuses anything that could split it. */
export function serializeRequest(host: string, req: HttpRequest): Uint8Array {
  return serializeHttpRequest(host, req, bad);
}

/** The decoded chunked body starting at `at`, or undefined when incomplete. */
function parseChunked(buf: Buffer, at: number, limits: HttpLimits): Uint8Array | undefined {
  const parts: Buffer[] = [];
  let size = 0;
  let pos = at;
  for (;;) {
    const eol = buf.indexOf(CRLF, pos);
    if (eol < 0) {
      if (buf.length - pos > 1024) throw bad('chunk size line too long');
      return undefined;
    }
    const n = chunkSize(buf.subarray(pos, eol).toString('latin1'), bad);
    pos = eol + 2;
    if (n === 0) {
      // Trailer fields (ignored) up to an empty line.
      for (;;) {
        const t = buf.indexOf(CRLF, pos);
        if (t < 0) {
          if (buf.length - pos > limits.maxHeaderBytes) throw bad('trailer section too large');
          return undefined;
        }
        const trailer = buf.subarray(pos, t).toString('latin1');
        pos = t + 2;
        if (trailer === '') return new Uint8Array(Buffer.concat(parts));
        checkTrailer(trailer, bad);
        if (pos - eol > limits.maxHeaderBytes) throw bad('trailer section too large');
      }
    }
    size += n;
    if (size > limits.maxBodyBytes) throw bad(`body exceeds the size cap of ${limits.maxBodyBytes} bytes`);
    if (buf.length < pos + n + 2) return undefined;
    if (buf[pos + n] !== 0x0d || buf[pos + n + 1] !== 0x0a) throw bad('chunk data not followed by CRLF');
    parts.push(buf.subarray(pos, pos + n));
    pos += n + 2;
  }
}

/**
 * Parses the response in `bytes` (everything received so far). `ended`: the stream is closed, so a
 * body without length ends here and anything incomplete is truncated. Interim 1xx heads are skipped
 * (101 is refused). Bytes after a complete response are ignored (the request said Connection: close).
 */
export function parseResponse(bytes: Uint8Array, ended: boolean, limits: HttpLimits): ParseResult {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = 0;
  let head: Head | undefined;
  for (let interim = 0; ; interim++) {
    head = parseHead(buf, start, limits.maxHeaderBytes - start, bad);
    if (head === undefined) {
      if (ended) throw bad(buf.length === 0 ? 'no response' : 'the connection ended inside the header section');
      return { done: false };
    }
    if (head.status >= 200) break;
    if (head.status === 101 || interim >= 8) throw bad(`unexpected interim status ${head.status}`);
    start = head.end;
  }
  const { status, headers } = head;
  const framing = bodyFraming(head, bad);
  const done = (body: Uint8Array): ParseResult => ({ done: true, response: { status, headers, body } });
  if (framing === 'none') return done(new Uint8Array());
  if (framing === 'chunked') {
    const body = parseChunked(buf, head.end, limits);
    if (body !== undefined) return done(body);
    if (ended) throw bad('the connection ended inside the chunked body');
    // Chunk-size lines and extensions are not body bytes: bound them too (a server could send 1-byte chunks forever).
    if (buf.length - head.end > CHUNKED_OVERHEAD * limits.maxBodyBytes + 64 * 1024)
      throw bad('chunked framing overhead too large');
    return { done: false };
  }
  if (framing !== 'close') {
    const { length } = framing;
    if (length > limits.maxBodyBytes) throw bad(`body exceeds the size cap of ${limits.maxBodyBytes} bytes`);
    if (buf.length - head.end >= length) return done(new Uint8Array(buf.subarray(head.end, head.end + length)));
    if (ended) throw bad('the connection ended before Content-Length bytes');
    return { done: false };
  }
  if (buf.length - head.end > limits.maxBodyBytes)
    throw bad(`body exceeds the size cap of ${limits.maxBodyBytes} bytes`);
  return ended ? done(new Uint8Array(buf.subarray(head.end))) : { done: false };
}
