/**
 * The boot-image downloader against hostile and odd image servers (RFC 8572 §5.6 step 3: the image
 * server is not authenticated, integrity comes from the hash; C-120, C-121, C-141, T-23), through
 * the public `createImageDownloader` only, so that it holds whatever HTTP transport is underneath.
 * A scripted raw server (test/support/raw-http-server.ts) writes exact bytes: odd but valid
 * framings must deliver the verified image; bad framings, oversize, stalls and floods must fail
 * with the right code, quickly, in bounded memory, leaving no `*.img` and no `.download-*` behind,
 * and a good second mirror must still be used. Privacy: the image server gets no client
 * certificate and no device detail, and the URI's path and query are sent byte for byte.
 * @module
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test, type TestContext } from 'node:test';
import { pino } from 'pino';
import type { DownloadRequest } from '../../src/contracts/download.ts';
import { createImageDownloader, type DownloaderOptions } from '../../src/download/image-download.ts';
import { makeHarness, type Harness } from '../support/bootstrap-harness.ts';
import {
  pour,
  splitRandomly,
  startRawServer,
  writePieces,
  type RawScript,
  type RawServer,
} from '../support/raw-http-server.ts';
import { tempDir } from '../support/temp-dir.ts';

const SIZE = 256 * 1024 + 77;
const MiB = 1024 * 1024;
let h: Harness;
let tls: { cert: Buffer; key: Buffer };
let image: Buffer;
let sha256: Buffer;
let good: RawServer;

/** A small deterministic PRNG (mulberry32) so that random splits are reproducible. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const head = (status: string, ...headers: string[]): Buffer =>
  Buffer.from(`${status}\r\n${headers.map((x) => `${x}\r\n`).join('')}\r\n`, 'latin1');
const ok = (body: Buffer = image): Buffer =>
  Buffer.concat([head('HTTP/1.1 200 OK', `Content-Length: ${body.length}`), body]);

/** `body` in chunked coding: chunk sizes 1 B..100 KiB (mostly small), extensions, and trailers. */
function chunked(body: Buffer, random: () => number): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0, i = 0; at < body.length; i++) {
    const n = Math.min(body.length - at, 1 + Math.floor(random() ** 3 * 100 * 1024));
    const ext = i % 3 === 0 ? `;ext${i}=v;q="a b"` : i % 3 === 1 ? ';flag' : '';
    parts.push(Buffer.from(`${n.toString(16)}${ext}\r\n`), body.subarray(at, at + n), Buffer.from('\r\n'));
    at += n;
  }
  parts.push(Buffer.from('0;last=1\r\nX-Trailer: done\r\nX-Checksum: none\r\n\r\n'));
  return Buffer.concat(parts);
}

/** A script that writes `bytes` (one write, or `pieces`) and then ends the connection. */
const send =
  (bytes: Buffer, pieces?: (b: Buffer) => Uint8Array[]): RawScript =>
  async (socket) => {
    await writePieces(socket, pieces === undefined ? [bytes] : pieces(bytes));
    socket.end();
  };

before(async () => {
  h = makeHarness();
  tls = { cert: readFileSync(h.pki.server.cert), key: readFileSync(h.pki.server.key) };
  image = randomBytes(SIZE);
  sha256 = createHash('sha256').update(image).digest();
  good = await startRawServer({ tls, script: send(ok()) });
});
after(async () => {
  await good.close();
  h.cleanup();
});

/** A test with a 10 s guard (a transport that hangs must fail the test, not the suite). */
function it(name: string, fn: (t: TestContext) => Promise<void>): void {
  test(name, { timeout: 10_000 }, fn);
}

async function serve(
  t: TestContext,
  script: RawScript,
  o: { plain?: boolean; host?: string } = {},
): Promise<RawServer> {
  const s = await startRawServer({ ...(o.plain === true ? {} : { tls }), ...(o.host ? { host: o.host } : {}), script });
  t.after(() => s.close());
  return s;
}

interface Run {
  readonly dest: string;
  readonly request: (uris: string[], o?: Partial<DownloadRequest>) => DownloadRequest;
}

function run(t: TestContext): Run {
  const dest = join(tempDir(t, 'hostile'), 'images');
  return {
    dest,
    request: (uris, o = {}) => ({
      uris,
      expected: [{ algorithm: 'sha-256', value: sha256 }],
      destDir: dest,
      maxBytes: 16 * MiB,
      log: pino({ level: 'silent' }),
      ...o,
    }),
  };
}

const downloader = (o: DownloaderOptions = {}): ReturnType<typeof createImageDownloader> =>
  createImageDownloader({ idleTimeoutMs: 3000, totalTimeoutMs: 20_000, ...o });

/** Nothing of a failed download is left: no `*.img`, no `.download-*` part file. */
function assertClean(dest: string): void {
  const left = readdirSync(dest).filter((f) => f.endsWith('.img') || f.startsWith('.download-'));
  assert.deepEqual(left, []);
}

/**
 * Runs a download that must fail with one of `codes`; checks nothing is left behind and returns
 * the elapsed milliseconds.
 */
async function fails(
  t: TestContext,
  uri: string,
  codes: string | readonly string[],
  o: DownloaderOptions = {},
  r: Partial<DownloadRequest> = {},
): Promise<number> {
  const { dest, request } = run(t);
  const allowed = typeof codes === 'string' ? [codes] : codes;
  const t0 = Date.now();
  await assert.rejects(downloader(o)(request([uri], r)), (e: { code?: string; message?: string }) => {
    assert.ok(allowed.includes(String(e.code)), `got ${String(e.code)}: ${String(e.message)}`);
    return true;
  });
  const ms = Date.now() - t0;
  assertClean(dest);
  return ms;
}

/** Downloads and checks the stored file holds exactly `body` (default: the image). */
async function succeeds(
  t: TestContext,
  uris: string[],
  body: Buffer = image,
  o: DownloaderOptions = {},
): Promise<string> {
  const { dest, request } = run(t);
  const digest = createHash('sha256').update(body).digest();
  const r = await downloader(o)(request(uris, { expected: [{ algorithm: 'sha-256', value: digest }] }));
  assert.equal(r.path, join(dest, `${digest.toString('hex')}.img`));
  assert.ok(readFileSync(r.path).equals(body), 'stored bytes differ');
  assert.deepEqual(
    readdirSync(dest).filter((f) => f.startsWith('.download-')),
    [],
  );
  return r.uri;
}

describe('image download from odd but valid servers', () => {
  it('chunked coding: random chunk sizes (1 B..100 KiB), chunk extensions and trailers', async (t) => {
    const body = randomBytes(2 * MiB + 5);
    const s = await serve(
      t,
      send(
        Buffer.concat([
          head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', 'Trailer: X-Trailer'),
          chunked(body, prng(1)),
        ]),
        (b) => splitRandomly(b, 64 * 1024, prng(2)),
      ),
    );
    await succeeds(t, [`${s.origin}/img`], body);
  });

  it('a close-delimited body (no Content-Length, no Transfer-Encoding, then close)', async (t) => {
    const s = await serve(t, send(Buffer.concat([head('HTTP/1.1 200 OK', 'Connection: close'), image])));
    await succeeds(t, [`${s.origin}/img`]);
  });

  it('interim 100 Continue and 103 Early Hints before the 200', async (t) => {
    const interim = Buffer.concat([
      head('HTTP/1.1 100 Continue'),
      head('HTTP/1.1 103 Early Hints', 'Link: </style.css>; rel=preload'),
    ]);
    const s = await serve(t, send(Buffer.concat([interim, ok()])));
    await succeeds(t, [`${s.origin}/img`]);
  });

  it('head and body written byte by byte (one TLS record per byte)', async (t) => {
    const body = randomBytes(3000);
    const s = await serve(
      t,
      send(ok(body), (b) => [...b].map((x) => Buffer.of(x))),
    );
    await succeeds(t, [`${s.origin}/img`], body);
  });

  it('head and body split at random points into separate writes', async (t) => {
    const s = await serve(
      t,
      send(ok(), (b) => splitRandomly(b, 700, prng(3))),
    );
    await succeeds(t, [`${s.origin}/img`]);
  });

  it(
    'bytes beyond Content-Length are ignored and the image verifies',
    // Today's node:https transport fails this one (the extra bytes are parsed as a second
    // response: a parse error after the body); the test keeps asserting success.
    async (t) => {
      const extra = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\njunk!'.repeat(50));
      const s = await serve(t, send(Buffer.concat([ok(), extra])));
      await succeeds(t, [`${s.origin}/img`]);
    },
  );

  it('https to [::1]', async (t) => {
    const s = await serve(t, send(ok()), { host: '::1' });
    assert.match(s.origin, /^https:\/\/\[::1\]:\d+$/);
    await succeeds(t, [`${s.origin}/img`]);
    assert.equal(s.requests.length, 1);
  });
});

const TE_CHUNKED = 'Transfer-Encoding: chunked';
const STATUS = 'HTTP/1.1 200 OK';

/** Hostile answers that end the connection after writing; `fallback`: also tried before a good mirror. */
const framings: { name: string; bytes: () => Buffer; codes?: string[]; fallback?: boolean }[] = [
  {
    name: 'Content-Length and Transfer-Encoding together',
    bytes: () => Buffer.concat([head(STATUS, `Content-Length: ${SIZE}`, TE_CHUNKED), chunked(image, prng(4))]),
    fallback: true,
  },
  {
    name: 'Transfer-Encoding: gzip, chunked',
    bytes: () => Buffer.concat([head(STATUS, 'Transfer-Encoding: gzip, chunked'), chunked(gzipSync(image), prng(5))]),
    // A coding never asked for: refused before any byte is stored.
  },
  {
    name: 'two different Content-Length values',
    bytes: () => Buffer.concat([head(STATUS, `Content-Length: ${SIZE}`, `Content-Length: ${SIZE + 1}`), image]),
    fallback: true,
  },
  {
    name: 'a non-numeric Content-Length',
    bytes: () => Buffer.concat([head(STATUS, `Content-Length: ${SIZE}abc`), image]),
  },
  {
    name: 'a garbage status line',
    bytes: () => Buffer.concat([head('HTTX/1.1 2OO OK', `Content-Length: ${SIZE}`), image]),
  },
  {
    name: 'HTTP/2.0 200 in an HTTP/1.1 status line',
    bytes: () => Buffer.concat([head('HTTP/2.0 200 OK', `Content-Length: ${SIZE}`), image]),
    fallback: true,
  },
  { name: 'no status line at all (raw body)', bytes: () => image },
  {
    name: 'a header value with a NUL byte',
    bytes: () => Buffer.concat([head(STATUS, 'X-Bad: a\0b', `Content-Length: ${SIZE}`), image]),
    fallback: true,
  },
  {
    name: 'a header value with a bare CR',
    bytes: () => Buffer.concat([head(STATUS, 'X-Bad: a\rb', `Content-Length: ${SIZE}`), image]),
  },
  {
    name: 'obsolete line folding',
    bytes: () => Buffer.concat([head(STATUS, 'X-Folded: a', '  b', `Content-Length: ${SIZE}`), image]),
  },
  {
    name: '101 Switching Protocols',
    bytes: () =>
      Buffer.concat([head('HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade'), image]),
  },
  {
    name: 'a malformed chunk size (zz)',
    bytes: () => Buffer.concat([head(STATUS, TE_CHUNKED), Buffer.from('zz\r\n'), image, Buffer.from('\r\n0\r\n\r\n')]),
    fallback: true,
  },
  {
    name: 'a chunk size of 2^64',
    bytes: () => Buffer.concat([head(STATUS, TE_CHUNKED), Buffer.from('10000000000000000\r\n'), image]),
  },
  {
    name: 'chunk data not followed by CRLF',
    // The first chunk's bytes are already stored when the framing error shows: a framing error is
    // not a dropped connection, so it is not resumed.
    bytes: () => Buffer.concat([head(STATUS, TE_CHUNKED), Buffer.from('4\r\nabcdXY4\r\nefgh\r\n0\r\n\r\n')]),
  },
  {
    name: 'HTTP 404',
    bytes: () => Buffer.concat([head('HTTP/1.1 404 Not Found', 'Content-Length: 9'), Buffer.from('not found')]),
  },
  {
    name: 'HTTP 500',
    bytes: () => Buffer.concat([head('HTTP/1.1 500 Internal Server Error', 'Content-Length: 4'), Buffer.from('oops')]),
    fallback: true,
  },
];

describe('image download from hostile servers: bad framing fails the mirror', () => {
  for (const f of framings) {
    it(`${f.name}: ${(f.codes ?? ['SZTP_ERR_DOWNLOAD_FAILED']).join(' or ')}`, async (t) => {
      const s = await serve(t, send(f.bytes()));
      const ms = await fails(t, `${s.origin}/img`, f.codes ?? 'SZTP_ERR_DOWNLOAD_FAILED');
      assert.ok(ms < 2500, `${ms} ms`);
    });
    if (f.fallback === true) {
      it(`${f.name} on the first mirror: the second, good mirror delivers the image`, async (t) => {
        const s = await serve(t, send(f.bytes()));
        assert.equal(await succeeds(t, [`${s.origin}/img`, `${good.origin}/img`]), `${good.origin}/img`);
        assert.ok(s.requests.length >= 1);
      });
    }
  }

  it('3xx with a Location: the redirect target is never contacted (SZTP_ERR_DOWNLOAD_FAILED)', async (t) => {
    const target = await serve(t, send(ok()));
    for (const status of ['301 Moved Permanently', '302 Found', '307 Temporary Redirect', '308 Permanent Redirect']) {
      const s = await serve(t, send(head(`HTTP/1.1 ${status}`, `Location: ${target.origin}/img`, 'Content-Length: 0')));
      await fails(t, `${s.origin}/img`, 'SZTP_ERR_DOWNLOAD_FAILED');
    }
    assert.equal(target.connections(), 0);
  });

  it('64 MiB of header bytes (never a blank line): fails after about the header cap, in bounded memory', async (t) => {
    let written = 0;
    const s = await serve(t, async (socket) => {
      let left = 64 * MiB;
      const line = Buffer.from(`X-Flood: ${'a'.repeat(64 * 1024 - 12)}\r\n`);
      await writePieces(socket, [Buffer.from(`${STATUS}\r\n`)]);
      written = await pour(socket, () => {
        if (left <= 0) return undefined;
        left -= line.length;
        return line;
      });
    });
    const rss = process.memoryUsage().rss;
    const ms = await fails(t, `${s.origin}/img`, 'SZTP_ERR_DOWNLOAD_FAILED');
    assert.ok(ms < 3000, `${ms} ms`);
    assert.ok(written < 16 * MiB, `server got ${written} header bytes accepted`);
    assert.ok(process.memoryUsage().rss - rss < 48 * MiB, 'memory grew');
  });

  it('endless 100 Continue heads: SZTP_ERR_DOWNLOAD_FAILED after a bounded number of interim heads', async (t) => {
    const s = await serve(t, async (socket) => {
      const interim = head('HTTP/1.1 100 Continue');
      await pour(socket, () => interim);
    });
    const ms = await fails(t, `${s.origin}/img`, 'SZTP_ERR_DOWNLOAD_FAILED', {
      idleTimeoutMs: 500,
      totalTimeoutMs: 2000,
    });
    assert.ok(ms < 3500, `${ms} ms`);
  });

  it('an endless chunk-extension line: SZTP_ERR_DOWNLOAD_FAILED after a bounded line', async (t) => {
    const s = await serve(t, async (socket) => {
      await writePieces(socket, [head(STATUS, TE_CHUNKED), Buffer.from('10;ext=')]);
      const filler = Buffer.alloc(16 * 1024, 'x');
      await pour(socket, () => filler);
    });
    const rss = process.memoryUsage().rss;
    const ms = await fails(t, `${s.origin}/img`, 'SZTP_ERR_DOWNLOAD_FAILED', {
      idleTimeoutMs: 500,
      totalTimeoutMs: 2000,
    });
    assert.ok(ms < 3500, `${ms} ms`);
    assert.ok(process.memoryUsage().rss - rss < 48 * MiB, 'memory grew');
  });

  it('1-byte chunks for ever: refused once framing outweighs data (or at the size cap), in bounded time and bytes', async (t) => {
    let written = 0;
    const s = await serve(t, async (socket) => {
      await writePieces(socket, [head(STATUS, TE_CHUNKED)]);
      const chunks = Buffer.from('1\r\nx\r\n'.repeat(4096));
      let left = 64 * MiB;
      written = await pour(socket, () => {
        if (left <= 0) return undefined;
        left -= chunks.length;
        return chunks;
      });
    });
    const ms = await fails(
      t,
      `${s.origin}/img`,
      ['SZTP_ERR_DOWNLOAD_FAILED', 'SZTP_ERR_DOWNLOAD_TOO_LARGE'],
      {},
      {
        maxBytes: 64 * 1024,
      },
    );
    assert.ok(ms < 5000, `${ms} ms`);
    // 64 KiB of data is 384 KiB of framing; the socket buffers add a few MiB at most.
    assert.ok(written < 24 * MiB, `server got ${written} bytes accepted`);
  });
});

describe('image download size cap', () => {
  const growing = (framing: 'chunked' | 'close'): RawScript => {
    const piece = randomBytes(64 * 1024);
    return async (socket) => {
      if (framing === 'chunked') {
        await writePieces(socket, [head(STATUS, TE_CHUNKED)]);
        const framed = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
        await pour(socket, () => framed);
      } else {
        await writePieces(socket, [head(STATUS, 'Connection: close')]);
        await pour(socket, () => piece);
      }
    };
  };

  it('chunked, no Content-Length, growing past maxBytes: SZTP_ERR_DOWNLOAD_TOO_LARGE', async (t) => {
    const s = await serve(t, growing('chunked'));
    await fails(t, `${s.origin}/img`, 'SZTP_ERR_DOWNLOAD_TOO_LARGE', {}, { maxBytes: MiB });
  });

  it('close-delimited, growing past maxBytes: SZTP_ERR_DOWNLOAD_TOO_LARGE', async (t) => {
    const s = await serve(t, growing('close'));
    await fails(t, `${s.origin}/img`, 'SZTP_ERR_DOWNLOAD_TOO_LARGE', {}, { maxBytes: MiB });
  });

  it('Content-Length above the cap is refused before the body arrives', async (t) => {
    const s = await serve(t, async (socket) => {
      await writePieces(socket, [head(STATUS, `Content-Length: ${SIZE}`)]);
      await sleep(5000);
      await writePieces(socket, [image]);
      socket.end();
    });
    const ms = await fails(t, `${s.origin}/img`, 'SZTP_ERR_DOWNLOAD_TOO_LARGE', {}, { maxBytes: SIZE - 1 });
    assert.ok(ms < 2500, `${ms} ms`);
  });
});

describe('image download deadlines', () => {
  it('TLS handshake never completed (a TCP server that says nothing): SZTP_ERR_DOWNLOAD_TIMEOUT', async (t) => {
    const s = await serve(t, () => undefined, { plain: true });
    const ms = await fails(t, `${s.origin.replace('http:', 'https:')}/img`, 'SZTP_ERR_DOWNLOAD_TIMEOUT', {
      idleTimeoutMs: 400,
    });
    assert.ok(ms < 2000, `${ms} ms`);
    assert.equal(s.connections(), 1);
  });

  it('TLS completes but no response: SZTP_ERR_DOWNLOAD_TIMEOUT', async (t) => {
    const s = await serve(t, () => undefined);
    const ms = await fails(t, `${s.origin}/img`, 'SZTP_ERR_DOWNLOAD_TIMEOUT', { idleTimeoutMs: 400 });
    assert.ok(ms < 2000, `${ms} ms`);
    assert.equal(s.requests.length, 1);
  });

  it('a head dribbled one byte per idle/3 for ever: the total deadline ends it (SZTP_ERR_DOWNLOAD_TIMEOUT)', async (t) => {
    const s = await serve(t, async (socket) => {
      await writePieces(socket, [Buffer.from('HTTP/1.1 200 OK\r\n')]);
      await writePieces(
        socket,
        Array.from({ length: 1000 }, () => Buffer.from('a')),
        200,
      );
    });
    const ms = await fails(t, `${s.origin}/img`, 'SZTP_ERR_DOWNLOAD_TIMEOUT', {
      idleTimeoutMs: 600,
      totalTimeoutMs: 1500,
    });
    assert.ok(ms >= 1400 && ms < 2500, `${ms} ms`);
  });

  /** First connection: the head and half the body, then silence; later ones answer Range with 206. */
  const stallThenRange =
    (contentRange: (offset: number) => string): RawScript =>
    async (socket: Socket, request) => {
      const range = request.headerLines.find((l) => /^range:/i.test(l));
      if (range === undefined) {
        await writePieces(socket, [head(STATUS, `Content-Length: ${SIZE}`), image.subarray(0, SIZE >> 1)]);
        return; // stalls, socket left open
      }
      const offset = Number(/bytes=(\d+)-/.exec(range)?.[1]);
      const rest = image.subarray(offset);
      await writePieces(socket, [
        head(
          'HTTP/1.1 206 Partial Content',
          `Content-Length: ${rest.length}`,
          `Content-Range: ${contentRange(offset)}`,
        ),
        rest,
      ]);
      socket.end();
    };

  it('a body stalling mid-way is resumed with Range (206) and the image verifies', async (t) => {
    const s = await serve(
      t,
      stallThenRange((offset) => `bytes ${offset}-${SIZE - 1}/${SIZE}`),
    );
    await succeeds(t, [`${s.origin}/img`], image, { idleTimeoutMs: 500 });
    assert.equal(s.requests.length, 2);
    assert.match(s.requests[1]?.headerLines.find((l) => /^range:/i.test(l)) ?? '', /^range: bytes=\d+-$/i);
  });

  it('a 206 with a wrong Content-Range: SZTP_ERR_DOWNLOAD_TRUNCATED', async (t) => {
    const s = await serve(t, async (socket, request, index) => {
      if (index === 0) {
        await writePieces(socket, [head(STATUS, `Content-Length: ${SIZE}`), image.subarray(0, SIZE >> 1)]);
        socket.destroy(); // dropped mid-body
        return;
      }
      await stallThenRange(() => `bytes 0-${SIZE - 1}/${SIZE}`)(socket, request, index);
    });
    await fails(t, `${s.origin}/img`, 'SZTP_ERR_DOWNLOAD_TRUNCATED', { idleTimeoutMs: 500 });
    assert.equal(s.requests.length, 2);
  });

  it('the abort signal during a stalled body ends the download within 1 s (SZTP_ERR_ABORTED)', async (t) => {
    const s = await serve(t, async (socket) => {
      await writePieces(socket, [head(STATUS, `Content-Length: ${SIZE}`), image.subarray(0, 1000)]);
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300).unref();
    const ms = await fails(t, `${s.origin}/img`, 'SZTP_ERR_ABORTED', { idleTimeoutMs: 30_000 }, { signal: ac.signal });
    assert.ok(ms < 1300, `${ms} ms`);
  });
});

describe('image download privacy (the image server is not authenticated)', () => {
  const allowed = new Set(['host', 'range', 'accept-encoding', 'connection', 'accept', 'user-agent']);

  it('no client certificate, only allowed headers, no device detail; path and query byte for byte', async (t) => {
    const s = await serve(t, async (socket, _request, index) => {
      if (index === 0) {
        await writePieces(socket, [head(STATUS, `Content-Length: ${SIZE}`), image.subarray(0, 5000)]);
        socket.destroy(); // a drop, so that the Range request is seen too
        return;
      }
      await send(
        Buffer.concat([
          head(
            'HTTP/1.1 206 Partial Content',
            `Content-Length: ${SIZE - 5000}`,
            `Content-Range: bytes 5000-${SIZE - 1}/${SIZE}`,
          ),
          image.subarray(5000),
        ]),
      )(socket, _request, index);
    });
    const target = '/a%2Fb/c%20d/img%7E.bin?x=1%26y&z=%25&empty=&q=%C3%A9';
    await succeeds(t, [`${s.origin}${target}`]);
    assert.ok(s.requests.length >= 1);
    const host = new URL(s.origin).host;
    for (const r of s.requests) {
      assert.equal(r.clientCert, false, 'a client certificate was presented to the image server');
      assert.equal(r.head.split('\r\n')[0], `GET ${target} HTTP/1.1`);
      for (const line of r.headerLines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        assert.ok(allowed.has(name.toLowerCase()), `header sent to the image server: ${line}`);
        assert.ok(!value.includes(h.pki.serial) && !line.includes('SN-'), `device detail in ${line}`);
        if (name.toLowerCase() === 'host') assert.equal(value, host);
        if (name.toLowerCase() === 'range') assert.match(value, /^bytes=\d+-$/);
      }
      assert.equal(r.headerLines.filter((l) => /^host:/i.test(l)).length, 1);
    }
  });
});
