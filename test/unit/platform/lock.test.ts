/**
 * The state-directory lock: taken and released, refused while a live process holds it
 * (SZTP_ERR_STATE_LOCKED), taken over when stale (dead pid).
 * @module
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { LOCK_FILE, acquireLock, currentBootId } from '../../../src/platform/lock.ts';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'sztp-lock-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

const ownerLine = (): string | undefined => readFileSync(join(dir, LOCK_FILE), 'utf8').split('\n')[0];

test('acquire writes our pid and the boot id; release removes the file', async () => {
  const lock = await acquireLock(dir);
  const bootId = await currentBootId();
  assert.ok(bootId !== undefined && bootId.length > 0, 'Linux exposes a boot id');
  assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n${bootId}\n`);
  await lock.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
});

test('a lock held by a live process is refused with SZTP_ERR_STATE_LOCKED', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    writeFileSync(join(dir, LOCK_FILE), `${child.pid}\n`);
    await assert.rejects(acquireLock(dir), { code: 'SZTP_ERR_STATE_LOCKED' });
    assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), String(child.pid));
  } finally {
    child.kill('SIGKILL');
  }
});

test('a stale lock (its process is gone) is taken over', async () => {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.on('exit', r));
  writeFileSync(join(dir, LOCK_FILE), `${child.pid}\n`);
  const lock = await acquireLock(dir);
  assert.equal(ownerLine(), String(process.pid));
  await lock.release();
});

test('a lock of the current boot held by a live process is refused', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    writeFileSync(join(dir, LOCK_FILE), `${child.pid}\n${await currentBootId()}\n`);
    await assert.rejects(acquireLock(dir), { code: 'SZTP_ERR_STATE_LOCKED' });
  } finally {
    child.kill('SIGKILL');
  }
});

test('a lock from an earlier boot is taken over even when its pid now belongs to a live process (pid reuse)', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    writeFileSync(join(dir, LOCK_FILE), `${child.pid}\n00000000-0000-0000-0000-000000000000\n`);
    const lock = await acquireLock(dir);
    assert.equal(ownerLine(), String(process.pid));
    await lock.release();
  } finally {
    child.kill('SIGKILL');
  }
});
