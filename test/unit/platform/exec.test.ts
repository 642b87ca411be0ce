import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execArgv } from '../../../src/platform/exec.ts';
import { makeTempDir, tempDir } from '../../support/temp-dir.ts';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

test('runs argv without a shell and captures exit status and output', async () => {
  const r = await execArgv(['printf', '%s|', 'a b', '$(x)', ';'], { timeoutMs: 5000, env });
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, 'a b|$(x)|;|');
  assert.equal(r.spawnError, undefined);
  const f = await execArgv(['sh', '-c', 'echo e >&2; exit 7'], { timeoutMs: 5000, env });
  assert.deepEqual([f.exitCode, f.stderr, f.timedOut], [7, 'e\n', false]);
});

test('a missing binary or an empty argv is a spawnError, never a rejection', async () => {
  const r = await execArgv(['/nonexistent/bin'], { timeoutMs: 1000, env });
  assert.match(r.spawnError ?? '', /ENOENT/);
  assert.equal(r.exitCode, null);
  assert.equal((await execArgv([], { timeoutMs: 1000, env })).spawnError, 'empty command');
});

test('a failed start keeps its errno code: ENOENT for a missing program, EACCES for a file that is not executable', async (t) => {
  assert.equal((await execArgv(['/nonexistent/bin'], { timeoutMs: 1000, env })).spawnErrorCode, 'ENOENT');
  const file = join(tempDir(t, 'exec-noexec'), 'script.sh');
  writeFileSync(file, '#!/bin/sh\necho hi\n', { mode: 0o644 });
  const r = await execArgv([file], { timeoutMs: 1000, env });
  assert.equal(r.spawnErrorCode, 'EACCES');
  assert.equal((await execArgv(['/bin/true'], { timeoutMs: 1000, env })).spawnErrorCode, undefined);
});

test('stdout can stream to a 0600 file; output tails are bounded', async () => {
  const dir = makeTempDir('exec');
  try {
    const file = join(dir, 'out');
    const r = await execArgv(['sh', '-c', 'head -c 200000 /dev/zero'], { timeoutMs: 5000, env, stdoutFile: file });
    assert.equal(r.exitCode, 0);
    assert.equal(statSync(file).size, 200000);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(r.stdout, '');
    const big = await execArgv(['sh', '-c', 'head -c 100000 /dev/zero | tr "\\0" x; echo END'], {
      timeoutMs: 5000,
      env,
      maxOutputBytes: 1000,
    });
    assert.equal(big.stdout.length, 1000);
    assert.ok(big.stdout.endsWith('xEND\n'));
    assert.equal(readFileSync(file).length, 200000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('abort and timeout terminate the process group (SIGTERM, then SIGKILL after the grace period)', async () => {
  const ac = new AbortController();
  setTimeout(() => {
    ac.abort();
  }, 100);
  const r = await execArgv(['sleep', '30'], { timeoutMs: 10_000, env, signal: ac.signal });
  assert.deepEqual([r.aborted, r.timedOut, r.signal], [true, false, 'SIGTERM']);
  const t0 = Date.now();
  const stubborn = await execArgv(['sh', '-c', 'trap "" TERM; sleep 30 & wait; wait'], {
    timeoutMs: 100,
    env,
    killGraceMs: 200,
  });
  assert.equal(stubborn.timedOut, true);
  assert.equal(stubborn.signal, 'SIGKILL');
  assert.ok(Date.now() - t0 < 5000);
});
