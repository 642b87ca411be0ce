/**
 * fast-check generators shared by the property tests of the agent's two HTTP/1.1 readers
 * (test/unit/bootstrap/http1.test.ts, test/unit/download/response-reader.test.ts): header fields
 * a well-formed server may send, other than the framing fields the tests set themselves, and the
 * encoding of a whole response (interim heads, Content-Length, chunked or close-delimited body).
 * @module
 */
import fc from 'fast-check';

export const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
export const fieldValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);

/** Up to `maxLength` header fields, never Content-Length or Transfer-Encoding. */
export const plainHeaders = (maxLength: number): fc.Arbitrary<[string, string][]> =>
  fc.array(
    fc.tuple(token, fieldValue).filter(([n]) => !/^(content-length|transfer-encoding)$/i.test(n)),
    { maxLength },
  );

/** A response as the tests build it; `close`: no length, the body ends with the connection. */
export interface WireResponse {
  readonly interim?: readonly number[];
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
  readonly framing: 'length' | 'chunked' | 'close';
  /** Chunk sizes, used in turn (chunked). */
  readonly chunks: readonly number[];
  /** Appended to every chunk-size line (e.g. `;ext=1`). */
  readonly extension?: string;
  readonly trailers?: readonly (readonly [string, string])[];
}

/** The bytes of `r` on the wire. */
export function encodeResponse(r: WireResponse): Buffer {
  const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
  const parts: Buffer[] = (r.interim ?? []).map((s) => ascii(`HTTP/1.1 ${s} Interim\r\nLink: </x>\r\n\r\n`));
  const head = [`HTTP/1.1 ${r.status} Whatever`, ...r.headers.map(([n, v]) => `${n}: ${v}`)];
  if (r.framing === 'length') head.push(`Content-Length: ${r.body.length}`);
  if (r.framing === 'chunked') head.push('Transfer-Encoding: chunked');
  parts.push(ascii(`${head.join('\r\n')}\r\n\r\n`));
  if (r.framing !== 'chunked') return Buffer.concat([...parts, Buffer.from(r.body)]);
  let at = 0;
  for (let i = 0; at < r.body.length; i++) {
    const n = Math.min(r.chunks[i % r.chunks.length] ?? 1, r.body.length - at);
    parts.push(
      ascii(`${n.toString(16)}${r.extension ?? ''}\r\n`),
      Buffer.from(r.body.subarray(at, at + n)),
      ascii('\r\n'),
    );
    at += n;
  }
  parts.push(ascii(`0\r\n${(r.trailers ?? []).map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`));
  return Buffer.concat(parts);
}
