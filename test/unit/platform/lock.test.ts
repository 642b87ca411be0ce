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
import { LOCK_FILE, acquireLock } from '../../../src/platform/lock.ts';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'sztp-lock-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

test('acquire writes our pid; release removes the file', async () => {
  const lock = await acquireLock(dir);
  assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
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
  assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
  await lock.release();
});
