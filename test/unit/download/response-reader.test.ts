/**
 * The boot-image download's streaming HTTP/1.1 response reader (src/download/response-reader.ts)
 * against hostile input. Bytes are fed the way the transport feeds them: in arbitrary pieces,
 * each copied into one reused read buffer whose bytes past the piece are garbage (a reader that
 * looks beyond `end` fails these tests). Properties (fast-check): well-formed responses (interim
 * heads, Content-Length, chunked with extensions and trailers, close-delimited) give exactly their
 * body whatever the split; arbitrary bytes give a body no larger than the input, or the caller's
 * error, nothing else. Then the framings that must be refused, and the bounds on what a server can
 * make the reader hold.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { encodeResponse, fieldValue, plainHeaders, token } from '../../support/http-arbitraries.ts';
import { ResponseReader } from '../../../src/download/response-reader.ts';

class Bad extends Error {}
const bad = (why: string): Error => new Bad(why);
const MAX_HEAD = 2048;

interface Outcome {
  status: number | undefined;
  body: Buffer;
  /** 'complete' before the end of the stream, or what `end()` said. */
  result: 'complete' | 'truncated';
  /** Input bytes fed when the response completed (or all of them). */
  fed: number;
}

/** Feeds `bytes` in the pieces given by `cuts` through one reused, garbage-filled read buffer. */
function run(bytes: Uint8Array, cuts: readonly number[] = [], reader = new ResponseReader(MAX_HEAD, bad)): Outcome {
  const points = [...new Set([...cuts.map((c) => c % (bytes.length + 1)), bytes.length])].sort((x, y) => x - y);
  const readBuffer = Buffer.alloc(Math.max(bytes.length, 1) + 64, 0x0a);
  const body: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    if (p === at) continue;
    readBuffer.fill(0x0d);
    readBuffer.set(bytes.subarray(at, p), 0);
    reader.feed(readBuffer, 0, p - at, (buf, s, e) => {
      assert.ok(s >= 0 && s <= e && e <= p - at, 'the body slice lies within the bytes fed');
      body.push(Buffer.from(buf.subarray(s, e)));
    });
    at = p;
    if (reader.complete) return { status: reader.head?.status, body: Buffer.concat(body), result: 'complete', fed: at };
  }
  return { status: reader.head?.status, body: Buffer.concat(body), result: reader.end(), fed: at };
}

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

interface Response {
  interim: number[];
  status: number;
  headers: [string, string][];
  body: Uint8Array;
  framing: 'length' | 'chunked' | 'close';
  chunks: number[];
  extensions: boolean;
  trailers: [string, string][];
}

const response: fc.Arbitrary<Response> = fc.record({
  interim: fc.array(fc.constantFrom(100, 102, 103), { maxLength: 3 }),
  status: fc.constantFrom(200, 206),
  headers: plainHeaders(5),
  body: fc.uint8Array({ maxLength: 3000 }),
  framing: fc.constantFrom('length', 'chunked', 'close'),
  chunks: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
  extensions: fc.boolean(),
  trailers: fc.array(fc.tuple(token, fieldValue), { maxLength: 3 }),
});

function encode(r: Response): Buffer {
  return encodeResponse({ ...r, extension: r.extensions ? ' ;name="v";x' : '' });
}

const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('download response reader', () => {
  test('well-formed responses give exactly their body and status, whatever the pieces', () => {
    fc.assert(
      fc.property(response, cuts, fc.uint8Array({ maxLength: 40 }), (r, c, extra) => {
        const wire = encode(r);
        // A close-delimited body ends with the connection: nothing may follow it.
        const out = run(r.framing === 'close' ? wire : Buffer.concat([wire, extra]), c);
        assert.equal(out.status, r.status);
        assert.equal(out.result, 'complete');
        assert.deepEqual(out.body, Buffer.from(r.body));
        if (r.framing !== 'close') assert.ok(out.fed <= wire.length + extra.length);
      }),
      { numRuns: 400 },
    );
  });

  test('a response cut anywhere before its end is truncated (never complete, never more body than sent)', () => {
    fc.assert(
      fc.property(
        response.filter((r) => r.framing !== 'close' && r.body.length > 0),
        fc.nat(),
        cuts,
        (r, at, c) => {
          const wire = encode(r);
          const cut = at % wire.length;
          const out = run(wire.subarray(0, cut), c);
          assert.equal(out.result, 'truncated');
          assert.ok(Buffer.from(r.body).subarray(0, out.body.length).equals(out.body), 'a prefix of the body');
        },
      ),
      { numRuns: 300 },
    );
  });

  test("arbitrary bytes: a body no larger than the input, or the caller's error; nothing else thrown", () => {
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 4000 }),
      fc
        .tuple(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 600 }))
        .map(([x, y]) =>
          Buffer.concat([
            ascii('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n'),
            Buffer.from(x),
            ascii('\r\n\r\n'),
            Buffer.from(y),
          ]),
        ),
      fc
        .tuple(fc.uint8Array({ maxLength: 300 }), fc.stringMatching(/^[0-9a-fA-F;\r\n x]{0,30}$/))
        .map(([x, size]) =>
          Buffer.concat([ascii(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${size}`), Buffer.from(x)]),
        ),
      response.chain((r) =>
        fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
          const wire = encode(r);
          wire[at % wire.length] = byte; // one byte changed anywhere
          return wire;
        }),
      ),
    );
    fc.assert(
      fc.property(hostile, cuts, (bytes, c) => {
        try {
          const out = run(bytes, c);
          assert.ok(out.body.length <= bytes.length);
        } catch (e) {
          assert.ok(e instanceof Bad, `only the caller's error: ${String(e)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });

  const refusals: [string, string][] = [
    [
      'Content-Length with Transfer-Encoding',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
    ['a transfer coding other than chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'],
    [
      'two Transfer-Encoding fields',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
    ['differing Content-Length values', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
    ['a Content-Length that is not a number', 'HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n'],
    ['HTTP/2 in the status line', 'HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'],
    ['no status line (a raw body)', 'just the image bytes\r\n\r\n'],
    ['a NUL in a header value', 'HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n'],
    ['a bare CR in a header value', 'HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n'],
    ['obsolete line folding', 'HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n'],
    ['101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n'],
    ['nine interim heads', 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(9) + 'HTTP/1.1 200 OK\r\n\r\n'],
    ['a malformed chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a chunk size of 2^64', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n'],
    ['a negative chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n'],
    ['chunk data not followed by CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n'],
    ['a bare LF ending a chunk-size line', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n'],
    ['a malformed trailer', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nno colon\r\n\r\n'],
  ];
  for (const [name, wire] of refusals) {
    test(`refused: ${name}`, () => {
      assert.throws(() => run(ascii(wire)), Bad);
      // The same refusal whatever the pieces.
      assert.throws(
        () =>
          run(
            ascii(wire),
            Array.from({ length: wire.length }, (_, i) => i),
          ),
        Bad,
      );
    });
  }

  test('a header section that never ends is refused after the limit, not buffered', () => {
    const reader = new ResponseReader(MAX_HEAD, bad);
    const piece = ascii('HTTP/1.1 200 OK\r\n' + 'X-Flood: aaaaaaaaaaaaaaaa\r\n'.repeat(200));
    let fed = 0;
    assert.throws(() => {
      for (let i = 0; i < 10_000; i++) {
        reader.feed(piece, 0, piece.length, () => assert.fail('no body'));
        fed += piece.length;
      }
    }, Bad);
    assert.ok(fed <= MAX_HEAD, `refused after ${fed} bytes`);
  });

  test('interim heads count against the same header budget', () => {
    const wire =
      ascii('HTTP/1.1 103 Early Hints\r\nLink: ' + 'x'.repeat(900) + '\r\n\r\n')
        .toString('latin1')
        .repeat(3) + 'HTTP/1.1 200 OK\r\n\r\n';
    assert.throws(() => run(ascii(wire)), Bad);
  });

  test('an endless chunk-extension line is refused after 1 KiB', () => {
    const reader = new ResponseReader(MAX_HEAD, bad);
    reader.feed(ascii('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), 0, 47, () => undefined);
    const ext = ascii('5;' + 'e'.repeat(100));
    let fed = 0;
    assert.throws(() => {
      for (let i = 0; i < 1000; i++) {
        reader.feed(ext, 0, ext.length, () => undefined);
        fed += ext.length;
      }
    }, Bad);
    assert.ok(fed <= 1024, `refused after ${fed} bytes`);
  });

  test('one-byte chunks for ever: framing overhead is bounded (refused within a few hundred KiB)', () => {
    const reader = new ResponseReader(MAX_HEAD, bad);
    const head = ascii('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    reader.feed(head, 0, head.length, () => undefined);
    const chunk = ascii('1;padding-padding-padding\r\nx\r\n'.repeat(64));
    let fed = 0;
    let body = 0;
    assert.throws(() => {
      for (let i = 0; i < 1_000_000; i++) {
        reader.feed(chunk, 0, chunk.length, (_b, s, e) => (body += e - s));
        fed += chunk.length;
      }
    }, Bad);
    assert.ok(fed < 512 * 1024, `refused after ${fed} bytes (${body} of body)`);
  });

  test('a trailer section beyond the header limit is refused', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n' + `T: ${'t'.repeat(500)}\r\n`.repeat(10) + '\r\n';
    assert.throws(() => run(ascii(wire)), Bad);
  });

  test('bytes after a complete response are not read as body (Connection: close)', () => {
    const out = run(ascii('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\n\r\nmore'));
    assert.equal(out.body.toString(), 'abc');
    assert.equal(out.result, 'complete');
    assert.equal(out.fed, 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\n\r\nmore'.length);
  });

  test('no body: 204, and Content-Length: 0, complete at the head', () => {
    assert.equal(run(ascii('HTTP/1.1 204 No Content\r\n\r\n')).result, 'complete');
    const out = run(ascii('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    assert.deepEqual([out.result, out.body.length], ['complete', 0]);
  });

  test('a connection that ends inside the head, the body or the chunked framing is truncated', () => {
    for (const wire of [
      'HTTP/1.1 200 OK\r\nContent-Le',
      'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: t\r\n',
    ])
      assert.equal(run(ascii(wire)).result, 'truncated', JSON.stringify(wire));
  });
});
