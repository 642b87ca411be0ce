/**
 * The TLS helper's HTTP/1.1 codec (src/bootstrap/http1.ts) against hostile input: property tests
 * (fast-check) that arbitrary bytes, fed in arbitrary pieces, only ever give a complete response
 * within the limits, "incomplete", or SZTP_ERR_SERVER_RESPONSE; that well-formed responses
 * (Content-Length, chunked, read to the end) round-trip whatever the split; that nothing over the
 * limits is returned; plus the ambiguous framings that must be refused.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { encodeResponse, plainHeaders } from '../../support/http-arbitraries.ts';
import { isSztpError } from '../../../src/errors.ts';
import { parseResponse, serializeRequest, type HttpLimits } from '../../../src/bootstrap/http1.ts';

const LIMITS: HttpLimits = { maxHeaderBytes: 2048, maxBodyBytes: 4096 };
const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** Parses `bytes` as they arrive in the given pieces; the outcome at the end of the stream. */
function feed(bytes: Uint8Array, cuts: readonly number[], limits = LIMITS): ReturnType<typeof parseResponse> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
  for (const p of points) {
    const r = parseResponse(bytes.subarray(0, p), false, limits);
    if (r.done) return r;
  }
  return parseResponse(bytes, true, limits);
}

const refused = (f: () => unknown): void => {
  assert.throws(f, (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_SERVER_RESPONSE');
};

interface Response {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
  framing: 'length' | 'chunked' | 'close';
  chunks: number[];
}

const response: fc.Arbitrary<Response> = fc.record({
  status: fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 304),
  headers: plainHeaders(6),
  body: fc.uint8Array({ maxLength: 600 }),
  framing: fc.constantFrom('length', 'chunked', 'close'),
  chunks: fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 }),
});

function encode(r: Response): Uint8Array {
  return new Uint8Array(encodeResponse({ ...r, extension: ';ext=1', trailers: [['X-Trailer', 't']] }));
}

describe('HTTP/1.1 response parser (hostile input)', () => {
  test('arbitrary bytes in arbitrary pieces: a reply within the limits, incomplete, or SZTP_ERR_SERVER_RESPONSE, nothing else', () => {
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      // Mostly well-formed heads with hostile parts spliced in.
      fc
        .tuple(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 5000 }))
        .map(([x, y, n]) =>
          b(
            `HTTP/1.1 200 OK\r\nContent-Length: ${n}\r\n${Buffer.from(x).toString('latin1')}\r\n\r\n${Buffer.from(y).toString('latin1')}`,
          ),
        ),
      fc
        .tuple(fc.uint8Array({ maxLength: 300 }), fc.stringMatching(/^[0-9a-fA-F;\r\n x]{0,30}$/))
        .map(([x, size]) =>
          b(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${size}\r\n${Buffer.from(x).toString('latin1')}`),
        ),
    );
    fc.assert(
      fc.property(hostile, fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        try {
          const r = feed(bytes, cuts);
          if (r.done) {
            assert.ok(r.response.body.length <= LIMITS.maxBodyBytes);
            assert.ok(r.response.status >= 200 && r.response.status <= 999);
            for (const [name, values] of r.response.headers) {
              assert.match(name, /^[!#$%&'*+\-.^_`|~0-9a-z]+$/);
              for (const v of values) assert.doesNotMatch(v, /[\r\n\0]/);
            }
          }
        } catch (e) {
          assert.ok(isSztpError(e) && e.code === 'SZTP_ERR_SERVER_RESPONSE', String(e));
        }
      }),
      { numRuns: 400 },
    );
  });

  test('well-formed responses round-trip whatever the pieces; a length- or chunk-framed one is complete only at its end', () => {
    fc.assert(
      fc.property(response, fc.array(fc.nat(), { maxLength: 8 }), (r, cuts) => {
        const bytes = encode(r);
        const result = feed(bytes, cuts);
        assert.ok(result.done);
        assert.equal(result.response.status, r.status);
        assert.deepEqual(Buffer.from(result.response.body), Buffer.from(r.body));
        for (const [n, v] of r.headers) assert.ok(result.response.headers.get(n.toLowerCase())?.includes(v));
        if (r.framing !== 'close') {
          assert.equal(parseResponse(bytes.subarray(0, bytes.length - 1), false, LIMITS).done, false);
          refused(() => parseResponse(bytes.subarray(0, bytes.length - 1), true, LIMITS));
          assert.ok(parseResponse(bytes, false, LIMITS).done, 'complete without waiting for the end');
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a body or header section over the limits is refused, never returned', () => {
    fc.assert(
      fc.property(response, fc.integer({ min: 0, max: 599 }), (r, max) => {
        const bytes = encode(r);
        const limits = { maxHeaderBytes: 4096, maxBodyBytes: max };
        if (r.body.length > max) refused(() => feed(bytes, [], limits));
        else assert.ok(feed(bytes, [], limits).done);
      }),
      { numRuns: 200 },
    );
    refused(() => parseResponse(b(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(3000)}`), false, LIMITS));
    refused(() => parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 4097\r\n\r\n'), false, LIMITS));
    const tiny = `1;${'e'.repeat(1000)}\r\nx\r\n`.repeat(100);
    refused(() => parseResponse(b(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${tiny}`), false, LIMITS));
  });

  test('ambiguous or forbidden framing is refused', () => {
    for (const text of [
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX: a\x1b[2Jb\r\n\r\n',
      'HTTP/1.1 200 OK\r\nBad Name: a\r\n\r\n',
      'HTTP/1.1 101 Switching Protocols\r\n\r\n',
      'HTTP/2 200\r\n\r\n',
      'HTTP/1.1 200 OK\nContent-Length: 0\n\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcdeXX0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffff\r\n',
    ])
      refused(() => parseResponse(b(text), true, LIMITS));
  });

  test('interim 1xx heads are skipped; 204 has no body; bytes after the response are ignored', () => {
    const r = parseResponse(
      b('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\ntrailing junk'),
      false,
      LIMITS,
    );
    assert.ok(r.done);
    assert.equal(r.response.status, 204);
    assert.equal(r.response.body.length, 0);
  });

  test('requests: Connection: close and Content-Length are set; a header that could split the request is refused', () => {
    const bytes = serializeRequest('127.0.0.1:8443', {
      method: 'POST',
      path: '/restconf/operations/x:y',
      headers: { accept: 'application/yang-data+json' },
      body: '{"é":1}',
    });
    assert.equal(
      Buffer.from(bytes).toString('utf8'),
      'POST /restconf/operations/x:y HTTP/1.1\r\nhost: 127.0.0.1:8443\r\naccept: application/yang-data+json\r\nconnection: close\r\ncontent-length: 8\r\n\r\n{"é":1}',
    );
    refused(() => serializeRequest('h', { method: 'GET', path: '/x', headers: { a: 'b\r\nX-Injected: 1' } }));
    refused(() => serializeRequest('h', { method: 'GET', path: '/x y', headers: {} }));
  });
});
