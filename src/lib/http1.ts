/**
 * HTTP/1.1 pieces shared by the agent's two hand-written HTTP clients (the TLS helper's
 * whole-response parser, src/bootstrap/http1.ts, and the boot-image download's streaming reader,
 * src/download/response-reader.ts): one request serialised with `Connection: close`, and the
 * response framing: status line and header section (RFC 9112 §4, §5), the Content-Length rules
 * (§6.3: malformed or differing values refused), the chunk-size and trailer lines (§7.1).
 * Untrusted server bytes: anything malformed, ambiguous (obsolete line folding, control
 * characters) or over the byte budget is refused through the caller's `bad` (its error code);
 * header values are kept verbatim and never interpreted beyond framing. Pure.
 * @module
 */

/** Makes the caller's error for a malformed response (`why` is a fixed phrase, never server text). */
export type Bad = (why: string) => Error;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values: visible ASCII, SP, HTAB and obs-text; no CR, LF, NUL or other controls. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const STATUS_LINE = /^HTTP\/1\.[01] ([1-9][0-9]{2})(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const HEAD_END = Buffer.from('\r\n\r\n');
/** A chunk-size line: 1–12 hex digits (under 2^48), optional whitespace and chunk extensions. */
const CHUNK_SIZE_LINE = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;[\t\x20-\x7e]*)?$/;
/** A trailer field line. */
const TRAILER_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*$/;

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** The bytes of one request; refuses header names/values or a path that could split the request. */
export function serializeRequest(host: string, req: HttpRequest, bad: Bad): Uint8Array {
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

export interface Head {
  readonly status: number;
  /** Field names lower-cased; every value of a field, in order. */
  readonly headers: Map<string, string[]>;
  /** Offset of the first byte after the head. */
  readonly end: number;
}

/**
 * One head (status line + fields) starting at `start` of `buf`, or undefined when its end is not
 * in `buf` yet. `budget`: bytes the head may take, blank line included.
 */
export function parseHead(buf: Buffer, start: number, budget: number, bad: Bad): Head | undefined {
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
export function contentLength(h: Head, bad: Bad): number | undefined {
  const values = (h.headers.get('content-length') ?? []).flatMap((v) => v.split(',').map((s) => s.trim()));
  if (values.length === 0) return undefined;
  if (!values.every((v) => /^[0-9]{1,15}$/.test(v))) throw bad('Content-Length is not a decimal number');
  if (new Set(values.map(Number)).size !== 1) throw bad('differing Content-Length values');
  return Number(values[0]);
}

/**
 * How the body of a final (status ≥ 200) head is delimited: 'none' (204, 304), 'chunked',
 * `length` bytes, or 'close' (until the connection ends). Refuses Content-Length with
 * Transfer-Encoding and any transfer coding other than chunked.
 */
export function bodyFraming(h: Head, bad: Bad): 'none' | 'chunked' | 'close' | { readonly length: number } {
  if (h.status === 204 || h.status === 304) return 'none';
  const te = h.headers.get('transfer-encoding');
  const length = contentLength(h, bad);
  if (te !== undefined) {
    if (length !== undefined) throw bad('both Transfer-Encoding and Content-Length');
    if (te.length !== 1 || te[0]?.toLowerCase() !== 'chunked') throw bad('a transfer coding other than chunked');
    return 'chunked';
  }
  return length === undefined ? 'close' : { length };
}

/** The size of a chunk from its size line (without CRLF). */
export function chunkSize(line: string, bad: Bad): number {
  const m = CHUNK_SIZE_LINE.exec(line);
  if (m === null) throw bad('malformed chunk size line');
  return parseInt(m[1] ?? '', 16);
}

/** Checks one trailer field line (without CRLF; not the empty line ending the trailers). */
export function checkTrailer(line: string, bad: Bad): void {
  if (!TRAILER_LINE.test(line)) throw bad('malformed trailer');
}
