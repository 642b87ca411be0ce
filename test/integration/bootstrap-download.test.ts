/**
 * Boot-image download over loopback against the real test server (RFC 8572 §5.6 step 3): mirror
 * fallback, Range resume after a dropped connection, restart when Range is unsupported, truncation,
 * size cap, idle deadline, hash mismatch (file removed), cache reuse, file:// and http, credentials
 * in a download-uri refused, partial files of a killed earlier run removed.
 * @module
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { createImageDownloader, downloadImage } from '../../src/download/image-download.ts';
import type { DownloadRequest } from '../../src/contracts/download.ts';
import { makeHarness, type Harness } from '../support/bootstrap-harness.ts';
import { startBootstrapServer, type TestBootstrapServer } from '../support/bootstrap-server.ts';

const SIZE = 3 * 1024 * 1024 + 123;
let h: Harness;
let s: TestBootstrapServer;
let image: Buffer;
let sha256: Buffer;
let dest: string;
let n = 0;

before(async () => {
  h = makeHarness();
  mkdirSync(join(h.dir, 'images'));
  image = randomBytes(SIZE);
  sha256 = createHash('sha256').update(image).digest();
  writeFileSync(join(h.dir, 'images', 'img.bin'), image);
  s = await startBootstrapServer({
    cert: readFileSync(h.pki.server.cert),
    key: readFileSync(h.pki.server.key),
    imagesDir: join(h.dir, 'images'),
  });
});
after(async () => {
  await s.close();
  h.cleanup();
});
beforeEach(() => {
  s.imageFaults.clear();
  s.requests.length = 0;
  dest = join(h.dir, `dest-${n++}`);
});

const req = (uris: string[], o: Partial<DownloadRequest> = {}): DownloadRequest => ({
  uris,
  expected: [{ algorithm: 'sha-256', value: sha256 }],
  destDir: dest,
  maxBytes: 64 * 1024 * 1024,
  log: pino({ level: 'silent' }),
  ...o,
});
const url = (name: string): string => `${s.url}/images/${name}`;
const leftovers = (): string[] => readdirSync(dest);

describe('image download', () => {
  test('streams, verifies and stores <sha256>.img atomically', async () => {
    const r = await downloadImage(req([url('img.bin')]));
    assert.equal(r.path, join(dest, `${sha256.toString('hex')}.img`));
    assert.equal(r.bytes, SIZE);
    assert.equal(r.uri, url('img.bin'));
    assert.ok(readFileSync(r.path).equals(image));
    assert.deepEqual(leftovers(), [`${sha256.toString('hex')}.img`]);
  });

  test('AT-44: mirror 1 answers 404, mirror 2 serves the image; no other URI is contacted', async () => {
    s.imageFaults.set('gone.bin', { status: 404 });
    const r = await downloadImage(req([url('gone.bin'), url('img.bin')]));
    assert.equal(r.uri, url('img.bin'));
    assert.deepEqual(
      s.requests.map((x) => x.path),
      ['/images/gone.bin', '/images/img.bin'],
    );
  });

  test('a connection reset mid-body is resumed with Range (206) and the image verifies', async () => {
    s.imageFaults.set('img.bin', { dropAfterBytes: 1024 * 1024 });
    const r = await downloadImage(req([url('img.bin')]));
    assert.ok(readFileSync(r.path).equals(image));
    assert.equal(s.requests.length, 2);
    const range = /^bytes=(\d+)-$/.exec(String(s.requests[1]?.headers.range));
    assert.ok(
      range !== null && Number(range[1]) > 0 && Number(range[1]) <= 1024 * 1024,
      String(s.requests[1]?.headers.range),
    );
  });

  test('a server ignoring Range (200 on resume) makes the download restart from zero', async () => {
    s.imageFaults.set('img.bin', { dropAfterBytes: 1024 * 1024, noRange: true });
    const r = await downloadImage(req([url('img.bin')]));
    assert.ok(readFileSync(r.path).equals(image));
    assert.equal(s.requests.length, 2);
  });

  test('drops beyond the resume budget: SZTP_ERR_DOWNLOAD_TRUNCATED, partial file removed', async () => {
    s.imageFaults.set('img.bin', { dropAfterBytes: 256 * 1024, times: 100 });
    await assert.rejects(createImageDownloader({ maxResumes: 2 })(req([url('img.bin')])), {
      code: 'SZTP_ERR_DOWNLOAD_TRUNCATED',
    });
    assert.equal(s.requests.length, 3);
    assert.deepEqual(leftovers(), []);
  });

  test('oversized: Content-Length above the cap is refused before reading (SZTP_ERR_DOWNLOAD_TOO_LARGE)', async () => {
    await assert.rejects(downloadImage(req([url('img.bin')], { maxBytes: 1024 * 1024 })), {
      code: 'SZTP_ERR_DOWNLOAD_TOO_LARGE',
    });
    assert.deepEqual(leftovers(), []);
    s.imageFaults.set('img.bin', { contentLength: 1000 });
    // A server under-announcing the length still cannot push more than the cap.
    await assert.rejects(downloadImage(req([url('img.bin')], { maxBytes: 1024 * 1024 })), (e: { code: string }) =>
      /SZTP_ERR_DOWNLOAD_(TOO_LARGE|FAILED)|SZTP_ERR_BOOT_IMAGE_HASH/.test(e.code),
    );
  });

  test('a server stalling in every body: each stall resumed with Range, then SZTP_ERR_DOWNLOAD_TIMEOUT; a total deadline too', async () => {
    s.imageFaults.set('img.bin', { stallAfterBytes: 64 * 1024 });
    const t0 = Date.now();
    await assert.rejects(createImageDownloader({ idleTimeoutMs: 300, maxResumes: 3 })(req([url('img.bin')])), {
      code: 'SZTP_ERR_DOWNLOAD_TIMEOUT',
    });
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(s.requests.length, 4, 'the first request and three resumes');
    assert.deepEqual(
      s.requests.slice(1).map((r) => r.headers.range),
      ['bytes=65536-', 'bytes=131072-', 'bytes=196608-'],
    );
    s.requests.length = 0;
    await assert.rejects(createImageDownloader({ idleTimeoutMs: 10_000, totalTimeoutMs: 400 })(req([url('img.bin')])), {
      code: 'SZTP_ERR_DOWNLOAD_TIMEOUT',
    });
    assert.deepEqual(leftovers(), []);
  });

  test('hash mismatch: SZTP_ERR_BOOT_IMAGE_HASH and the file is removed', async () => {
    await assert.rejects(
      downloadImage(req([url('img.bin')], { expected: [{ algorithm: 'sha-256', value: randomBytes(32) }] })),
      { code: 'SZTP_ERR_BOOT_IMAGE_HASH' },
    );
    assert.deepEqual(leftovers(), []);
  });

  test('sha-512 verification; a verified image already present is reused without a request', async () => {
    const sha512 = createHash('sha512').update(image).digest();
    const r = await downloadImage(req([url('img.bin')], { expected: [{ algorithm: 'sha-512', value: sha512 }] }));
    assert.equal(r.sha256, sha256.toString('hex'));
    s.requests.length = 0;
    const again = await downloadImage(req([url('img.bin')]));
    assert.equal(again.path, r.path);
    assert.equal(s.requests.length, 0);
  });

  test('file:// needs the source resolver (SZTP_ERR_DOWNLOAD_URI without it); unknown schemes refused', async () => {
    const local = 'file:///disk2:/images/img.bin';
    await assert.rejects(downloadImage(req([local])), { code: 'SZTP_ERR_DOWNLOAD_URI' });
    await assert.rejects(downloadImage(req(['ftp://127.0.0.1/img.bin'])), { code: 'SZTP_ERR_DOWNLOAD_URI' });
    const r = await downloadImage(
      req([local], { resolveLocalUri: (u) => (u === local ? join(h.dir, 'images', 'img.bin') : undefined) }),
    );
    assert.ok(readFileSync(r.path).equals(image));
  });

  test('not enough free space: SZTP_ERR_BOOT_IMAGE_SPACE before writing', async () => {
    await assert.rejects(createImageDownloader({ freeBytes: () => Promise.resolve(1000) })(req([url('img.bin')])), {
      code: 'SZTP_ERR_BOOT_IMAGE_SPACE',
    });
    assert.deepEqual(leftovers(), []);
  });

  test('plain http mirrors work (integrity from the hash)', async () => {
    const plain = createServer((_q, res) => {
      res.writeHead(200, { 'content-length': String(SIZE) });
      createReadStream(join(h.dir, 'images', 'img.bin')).pipe(res);
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    try {
      const r = await downloadImage(req([`http://127.0.0.1:${(plain.address() as AddressInfo).port}/img.bin`]));
      assert.equal(r.bytes, SIZE);
    } finally {
      plain.closeAllConnections();
      await new Promise<void>((r) => plain.close(() => r()));
    }
  });

  test('a download-uri with credentials is refused before any connection (the image server is not authenticated)', async () => {
    const withCreds = url('img.bin').replace('https://', 'https://operator:s3cret@');
    await assert.rejects(downloadImage(req([withCreds])), (e: { code: string; message: string }) => {
      assert.equal(e.code, 'SZTP_ERR_DOWNLOAD_URI');
      assert.ok(!e.message.includes('s3cret'), 'the password is not repeated in the error');
      return true;
    });
    assert.equal(s.requests.length, 0);
    // The next mirror is still tried.
    const r = await downloadImage(req([withCreds, url('img.bin')]));
    assert.ok(readFileSync(r.path).equals(image));
  });

  test('partial downloads of a killed earlier run are removed first; other files are left alone', async () => {
    mkdirSync(dest, { recursive: true });
    const stale = join(dest, '.download-0123456789ab.part');
    const other = join(dest, 'notes.part');
    const dirLike = join(dest, '.download-ba9876543210.part');
    writeFileSync(stale, randomBytes(1024));
    writeFileSync(other, randomBytes(1024));
    mkdirSync(dirLike);
    const r = await downloadImage(req([url('img.bin')]));
    assert.ok(readFileSync(r.path).equals(image));
    assert.deepEqual(
      leftovers().sort(),
      ['.download-ba9876543210.part', `${sha256.toString('hex')}.img`, 'notes.part'].sort(),
    );
  });
});
