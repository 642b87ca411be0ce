import assert from 'node:assert/strict';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runProcess } from '../../../src/adapters/simulated-run.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

let dir: string;
before(() => {
  dir = makeTempDir('run');
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o700);
  return p;
}

describe('runProcess', () => {
  test('runs the file itself (no shell string): arguments with shell syntax stay literal', async () => {
    const r = await runProcess(script('echo.sh', 'printf "%s" "$1"'), ['$(touch pwned); `id`'], {
      cwd: dir,
      timeoutMs: 5000,
      env: {},
    });
    assert.equal(r.stdout, '$(touch pwned); `id`');
  });

  test('output bound, exit status, signal', async () => {
    const r = await runProcess(script('big.sh', 'head -c 5000 /dev/zero; exit 3'), [], {
      cwd: dir,
      timeoutMs: 5000,
      env: {},
      maxOutput: 100,
    });
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout.length, 100 + '\n[output truncated]'.length);
    const k = await runProcess(script('kill.sh', 'kill -TERM $$'), [], { cwd: dir, timeoutMs: 5000, env: {} });
    assert.equal(k.exitCode, null);
    assert.equal(k.signal, 'SIGTERM');
  });

  test('an abort signal kills the script', async () => {
    const ac = new AbortController();
    setTimeout(() => {
      ac.abort();
    }, 200);
    const started = Date.now();
    const r = await runProcess(script('sleep.sh', 'sleep 20'), [], {
      cwd: dir,
      timeoutMs: 30_000,
      env: {},
      signal: ac.signal,
    });
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(Date.now() - started < 5000);
  });
});
