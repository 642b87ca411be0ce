/**
 * The download sink (src/download/sink.ts): back-pressure from its slab pool (bytes are never
 * dropped, the pool shrinks back after a burst), a failed write failing the transfer (/dev/full),
 * and the write-behind flushing: a background fdatasync every 32 MiB while the transfer goes on,
 * an fsync before the file is closed by `close()` (the verified image is durable before it is
 * renamed and installed), none by `abandon()`; a failed flush or fsync fails the transfer. Real
 * files; the flush calls are the real node:fs ones, wrapped to be counted or made to fail.
 * @module
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { fdatasync, fsync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { HashingSink, type SinkSync } from '../../../src/download/sink.ts';
import { tempDir } from '../../support/temp-dir.ts';

const MIB = 1024 * 1024;

interface Recorder extends SinkSync {
  readonly calls: string[];
}

/** The real flush calls, recorded; `fail` makes the named one report EIO (after really running). */
function recorder(fail?: 'fdatasync' | 'fsync'): Recorder {
  const calls: string[] = [];
  const eio = (): NodeJS.ErrnoException => Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
  return {
    calls,
    fdatasync: (fd, cb) => {
      calls.push('fdatasync');
      fdatasync(fd, (err) => cb(fail === 'fdatasync' ? eio() : err));
    },
    fsync: (fd, cb) => {
      calls.push('fsync');
      fsync(fd, (err) => cb(fail === 'fsync' ? eio() : err));
    },
  };
}

async function feed(sink: HashingSink, mib: number): Promise<Buffer> {
  const block = randomBytes(MIB);
  const h = createHash('sha256');
  for (let i = 0; i < mib; i++) {
    for (let off = 0; off < MIB; off += 16 * 1024) await sink.write(block.subarray(off, off + 16 * 1024));
    h.update(block);
  }
  return h.digest();
}

test('HashingSink: a background fdatasync every 32 MiB during the transfer, an fsync before close', async (t) => {
  const path = join(tempDir(t, 'sink'), 'image.part');
  const io = recorder();
  const sink = new HashingSink(path, 1024 * MIB, false, io);
  const sha = await feed(sink, 80);
  const during = io.calls.filter((c) => c === 'fdatasync').length;
  assert.ok(during >= 1 && during <= 2, `background flushes during 80 MiB: ${during}`);
  assert.ok(!io.calls.includes('fsync'), 'no fsync before close()');
  await sink.close();
  assert.equal(io.calls.at(-1), 'fsync', 'close() ends with an fsync');
  assert.equal(statSync(path).size, 80 * MIB);
  assert.deepEqual(sink.digests().sha256, sha);
  assert.deepEqual(createHash('sha256').update(readFileSync(path)).digest(), sha);
  await sink.close(); // idempotent
  assert.equal(io.calls.filter((c) => c === 'fsync').length, 1);
});

test('HashingSink: abandon() closes a failed transfer without flushing it', async (t) => {
  const path = join(tempDir(t, 'sink'), 'image.part');
  const io = recorder();
  const sink = new HashingSink(path, 1024 * MIB, false, io);
  await feed(sink, 4);
  await sink.abandon();
  assert.deepEqual(io.calls, []);
  await sink.abandon(); // idempotent
});

test('HashingSink: reset() starts an empty file and the flushing over', async (t) => {
  const path = join(tempDir(t, 'sink'), 'image.part');
  const io = recorder();
  const sink = new HashingSink(path, 1024 * MIB, false, io);
  await feed(sink, 3);
  await sink.reset();
  assert.equal(sink.bytes, 0);
  const sha = await feed(sink, 2);
  await sink.close();
  assert.equal(statSync(path).size, 2 * MIB);
  assert.deepEqual(sink.digests().sha256, sha);
  assert.deepEqual(io.calls, ['fsync']);
});

for (const fail of ['fdatasync', 'fsync'] as const) {
  test(`HashingSink: a failing ${fail} fails the transfer, at the latest in close() (the file is not durable)`, async (t) => {
    const path = join(tempDir(t, 'sink'), 'image.part');
    const io = recorder(fail);
    const sink = new HashingSink(path, 1024 * MIB, false, io);
    // A background flush that fails while bytes still arrive fails the next append; otherwise close() fails.
    const failed = await (async (): Promise<unknown> => {
      try {
        await feed(sink, fail === 'fdatasync' ? 40 : 1);
        assert.deepEqual(io.calls, fail === 'fdatasync' ? ['fdatasync'] : []);
        await sink.close();
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    assert.equal((failed as { code?: string } | undefined)?.code, 'EIO');
    assert.equal(io.calls[0], fail);
    await sink.abandon();
  });
}

test('HashingSink: a burst larger than the slab pool is taken whole, with back-pressure until a slab is free', async (t) => {
  const path = join(tempDir(t, 'sink'), 'image.part');
  const sink = new HashingSink(path, 1024 * MIB, false);
  const burst = randomBytes(8 * MIB); // 32 slabs at once: none can be written before the call returns
  assert.equal(sink.append(burst, 0, burst.length), false, 'the pool is used up: pause');
  let drained = false;
  sink.onDrain(() => {
    drained = true;
  });
  assert.equal(drained, false, 'no free slab until a write completes');
  await new Promise<void>((resolve) => {
    sink.onDrain(resolve);
  });
  assert.ok(drained);
  const tail = randomBytes(100_000);
  sink.append(tail, 10, tail.length); // a sub-range
  await sink.close();
  const expected = Buffer.concat([burst, tail.subarray(10)]);
  assert.ok(readFileSync(path).equals(expected));
  assert.deepEqual(sink.digests().sha256, createHash('sha256').update(expected).digest());
  assert.equal(sink.bytes, expected.length);
});

test('HashingSink: the size cap counts every byte appended', async (t) => {
  const path = join(tempDir(t, 'sink'), 'image.part');
  const sink = new HashingSink(path, MIB, false);
  sink.append(randomBytes(MIB));
  assert.throws(() => sink.append(new Uint8Array(1)), { code: 'SZTP_ERR_DOWNLOAD_TOO_LARGE' });
  await sink.abandon();
});

test('HashingSink: a failed write (ENOSPC on /dev/full) fails the transfer: append or close throws', async () => {
  const sink = new HashingSink('/dev/full', 1024 * MIB, false);
  const chunk = randomBytes(256 * 1024);
  const failed = await (async (): Promise<unknown> => {
    try {
      for (let i = 0; i < 64; i++) await sink.write(chunk);
      await sink.close();
    } catch (err) {
      return err;
    }
    return undefined;
  })();
  assert.equal((failed as { code?: string } | undefined)?.code, 'ENOSPC');
  await sink.abandon();
});

test('HashingSink: abandon() waits for writes in flight before closing the file', async (t) => {
  const path = join(tempDir(t, 'sink'), 'image.part');
  const sink = new HashingSink(path, 1024 * MIB, false);
  sink.append(randomBytes(4 * MIB)); // 16 slabs: some written, the rest queued
  await sink.abandon(); // must not close the descriptor under a write in flight
  const size = statSync(path).size;
  assert.ok(size > 0 && size <= 4 * MIB && size % (256 * 1024) === 0, `written before abandon(): ${size}`);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(statSync(path).size, size, 'nothing is written after abandon() resolved');
});
