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

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Header values whose lines undici also accepts by default. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

/** Raw bytes of a chunked body may be at most this many times the body cap (plus 64 KiB). */
const CHUNKED_OVERHEAD = 4;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values: visible ASCII, SP, HTAB and obs-text; no CR, LF, NUL or other controls. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const STATUS_LINE = /^HTTP\/1\.[01] ([1-9][0-9]{2})(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

const bad = (why: string): SztpError =>
  new SztpError('SZTP_ERR_SERVER_RESPONSE', `malformed HTTP response from the TLS helper: ${why}`, {
    evidence: { why },
  });

/** The bytes of one request; refuses header names/values or a path that could split the request. */
export function serializeRequest(host: string, req: HttpRequest): Uint8Array {
  const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
  const fields: [string, string][] = [
    ['host', host],
    ...Object.entries(req.headers),
    ['connection', 'close'],
    ...(body === undefined ? [] : ([['content-length', String(body.length)]] as [string, string][])),
  ];
  if (!/^\/[\x21-\x7e]*$/.test(req.path)) throw bad(`request path is not a plain origin-form path`);
  const lines = [`${req.method} ${req.path} HTTP/1.1`];
  for (const [name, value] of fields) {
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value) || /[\x80-\xff]/.test(value))
      throw bad(`request header ${JSON.stringify(name)} is not sendable`);
    lines.push(`${name}: ${value}`);
  }
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return new Uint8Array(body === undefined ? head : Buffer.concat([head, body]));
}

interface Head {
  readonly status: number;
  readonly headers: Map<string, string[]>;
  /** Offset of the first byte after the head. */
  readonly end: number;
}

/** One head (status line + fields) at `start`, or undefined when its end is not in `buf` yet. */
function parseHead(buf: Buffer, start: number, budget: number): Head | undefined {
  const end = buf.indexOf(HEAD_END, start);
  if (end < 0) {
    if (buf.length - start > budget) throw bad(`header section larger than ${budget} bytes`);
    return undefined;
  }
  if (end + 4 - start > budget) throw bad(`header section larger than ${budget} bytes`);
  const lines = buf.subarray(start, end).toString('latin1').split('\r\n');
  const statusLine = STATUS_LINE.exec(lines[0] ?? '');
  if (statusLine === null) throw bad('no HTTP/1.x status line');
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw bad('a header line without a field name');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw bad('a header field name with forbidden characters (or obsolete line folding)');
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) throw bad(`header ${name} holds control characters`);
    const key = name.toLowerCase();
    headers.set(key, [...(headers.get(key) ?? []), value]);
  }
  return { status: Number(statusLine[1]), headers, end: end + 4 };
}

/** The Content-Length of a head (undefined when absent); refuses malformed or conflicting values. */
function contentLength(h: Head): number | undefined {
  const values = (h.headers.get('content-length') ?? []).flatMap((v) => v.split(',').map((s) => s.trim()));
  if (values.length === 0) return undefined;
  if (!values.every((v) => /^[0-9]{1,15}$/.test(v))) throw bad('Content-Length is not a decimal number');
  if (new Set(values.map(Number)).size !== 1) throw bad('differing Content-Length values');
  return Number(values[0]);
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
    const line = buf.subarray(pos, eol).toString('latin1');
    const m = /^([0-9A-Fa-f]{1,8})[ \t]*(?:;[\t\x20-\x7e]*)?$/.exec(line);
    if (m === null) throw bad('malformed chunk size line');
    const n = parseInt(m[1] ?? '', 16);
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
        if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*$/.test(trailer)) throw bad('malformed trailer');
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
    head = parseHead(buf, start, limits.maxHeaderBytes - start);
    if (head === undefined) {
      if (ended) throw bad(buf.length === 0 ? 'no response' : 'the connection ended inside the header section');
      return { done: false };
    }
    if (head.status >= 200) break;
    if (head.status === 101 || interim >= 8) throw bad(`unexpected interim status ${head.status}`);
    start = head.end;
  }
  const { status, headers } = head;
  const te = headers.get('transfer-encoding');
  const length = contentLength(head);
  const done = (body: Uint8Array): ParseResult => ({ done: true, response: { status, headers, body } });
  if (status === 204 || status === 304) return done(new Uint8Array());
  if (te !== undefined) {
    if (length !== undefined) throw bad('both Transfer-Encoding and Content-Length');
    if (te.length !== 1 || te[0]?.toLowerCase() !== 'chunked') throw bad('a transfer coding other than chunked');
    const body = parseChunked(buf, head.end, limits);
    if (body !== undefined) return done(body);
    if (ended) throw bad('the connection ended inside the chunked body');
    // Chunk-size lines and extensions are not body bytes: bound them too (a server could send 1-byte chunks forever).
    if (buf.length - head.end > CHUNKED_OVERHEAD * limits.maxBodyBytes + 64 * 1024)
      throw bad('chunked framing overhead too large');
    return { done: false };
  }
  if (length !== undefined) {
    if (length > limits.maxBodyBytes) throw bad(`body exceeds the size cap of ${limits.maxBodyBytes} bytes`);
    if (buf.length - head.end >= length) return done(new Uint8Array(buf.subarray(head.end, head.end + length)));
    if (ended) throw bad('the connection ended before Content-Length bytes');
    return { done: false };
  }
  if (buf.length - head.end > limits.maxBodyBytes)
    throw bad(`body exceeds the size cap of ${limits.maxBodyBytes} bytes`);
  return ended ? done(new Uint8Array(buf.subarray(head.end))) : { done: false };
}
