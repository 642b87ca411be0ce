/**
 * `sztp-agent run` as a real process with fetchers that fail fast (no USB mount point, no such
 * network interfaces): `--once` exits 1 after trying every enabled fetcher in priority order
 * (each logged with its code); retry_forever backs off until SIGTERM, which stops it promptly
 * with exit 0 and the state file intact; secure-mode disable → "secure ZTP disabled", exit 0;
 * start False → exit 0; a held lock → SZTP_ERR_STATE_LOCKED.
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { spawn } from 'node:child_process';
import { checkShape } from '../../src/state/machine.ts';
import { cli, finish, logLines, sandbox, start, type Sandbox } from './cli-helpers.ts';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => {
  box.cleanup();
});

const ORDER = ['USB', 'Mgmt4', 'Mgmt6', 'DPort4', 'DPort6'];

test('run --once with no source exits 1 after trying each enabled fetcher in order', async () => {
  const r = await cli(['--config', box.ini, 'run', '--once']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  const logs = logLines(r.stderr);
  const tried = logs.filter((l) => l.msg === `trying fetcher ${String(l.fetcher)}`).map((l) => l.fetcher);
  assert.deepEqual(tried, ORDER);
  const failed = logs.filter((l) => l.level === 40 && l.room === 'daemon' && typeof l.fetcher === 'string');
  assert.deepEqual(
    failed.map((l) => l.fetcher),
    ORDER,
  );
  assert.equal(failed[0]?.code, 'SZTP_ERR_USB_NOT_FOUND');
  for (const l of failed) assert.match(String(l.code), /^SZTP_ERR_[A-Z_]+$/);
  assert.ok(
    logs.every((l) => typeof l.room === 'string'),
    'every line has its room',
  );
  assert.match(r.stderr, /^error SZTP_ERR_NO_SOURCE: /m);
  const status = await cli(['--config', box.ini, 'status', '--json']);
  const doc = JSON.parse(status.stdout) as { lastError: { code: string; message: string } };
  assert.equal(doc.lastError.code, 'SZTP_ERR_NO_SOURCE');
  assert.match(doc.lastError.message, /^USB: SZTP_ERR_USB_NOT_FOUND; Mgmt4: /);
});

test('a fetcher priority change reorders the attempts; unlisted fetchers are not tried', async () => {
  const ini = readFileSync(box.ini, 'utf8').replace(
    'USB: 0\nMgmt4: 1\nMgmt6: 2\nDPort4: 3\nDPort6: 4',
    'DPort6: 0\nUSB: 7',
  );
  writeFileSync(box.ini, ini);
  const r = await cli(['--config', box.ini, 'run', '--once']);
  assert.equal(r.code, 1);
  assert.deepEqual(
    logLines(r.stderr)
      .filter((l) => String(l.msg).startsWith('trying fetcher'))
      .map((l) => l.fetcher),
    ['DPort6', 'USB'],
  );
});

test('retry_forever keeps backing off until SIGTERM, which stops it promptly with exit 0 and the state intact', async () => {
  writeFileSync(box.ini, readFileSync(box.ini, 'utf8').replace('retry_forever: False', 'retry_forever: True'));
  const child = start(['--config', box.ini, 'run']);
  const done = finish(child);
  let passes = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('no third pass within 20 s'));
    }, 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      passes += (d.toString().match(/"msg":"pass \d+: trying/g) ?? []).length;
      if (passes >= 3) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const sent = Date.now();
  child.kill('SIGTERM');
  const r = await done;
  const elapsed = Date.now() - sent;
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  assert.ok(elapsed < 3000, `stopped in ${elapsed} ms`);
  const logs = logLines(r.stderr);
  assert.ok(logs.filter((l) => String(l.msg).includes('next pass in')).length >= 2, 'backed off between passes');
  assert.ok(logs.some((l) => l.msg === 'stopped by signal; state is saved'));
  const state: unknown = JSON.parse(readFileSync(join(box.stateDir, 'state.json'), 'utf8'));
  assert.ok(checkShape(state).ok);
  const lock = await cli(['--config', box.ini, 'run', '--once']);
  assert.equal(lock.code, 1, 'the lock was released: a new run works');
});

test('SIGHUP reloads ztp.ini for the next pass; a broken file on reload is logged and the old one kept', async () => {
  writeFileSync(
    box.ini,
    readFileSync(box.ini, 'utf8')
      .replace('retry_forever: False', 'retry_forever: True')
      .replace('backoff_initial_seconds: 0.2', 'backoff_initial_seconds: 0.4'),
  );
  const child = start(['--config', box.ini, 'run']);
  const done = finish(child);
  let seen = '';
  const waitFor = (re: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timeout waiting for ${String(re)}`));
      }, 20_000);
      const check = (): void => {
        if (re.test(seen)) {
          clearTimeout(timer);
          child.stderr!.off('data', onData);
          resolve();
        }
      };
      const onData = (d: Buffer): void => {
        seen += d.toString();
        check();
      };
      child.stderr!.on('data', onData);
      check();
    });
  await waitFor(/"msg":"pass 1: trying/);
  const good = readFileSync(box.ini, 'utf8');
  writeFileSync(box.ini, `${good}\n[Startup]\nnot a valid line\n`);
  child.kill('SIGHUP');
  await waitFor(/reload failed; keeping the previous configuration/);
  writeFileSync(box.ini, good.replace('USB: 0\nMgmt4: 1\nMgmt6: 2\nDPort4: 3\nDPort6: 4', 'USB: 0'));
  child.kill('SIGHUP');
  await waitFor(/"msg":"configuration reloaded"/);
  await waitFor(/"msg":"pass \d+: trying USB"/);
  child.kill('SIGTERM');
  const r = await done;
  assert.equal(r.code, 0);
  const reloadFailure = logLines(r.stderr).find((l) => l.msg === 'reload failed; keeping the previous configuration');
  assert.equal(reloadFailure?.code, 'SZTP_ERR_CONFIG_SYNTAX');
});

test('secure-mode disable, then run exits 0 saying secure ZTP is disabled; enable restores it', async () => {
  const d = await cli(['--config', box.ini, 'secure-mode', 'disable']);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(d.stdout, 'secure-mode disabled\n');
  const r = await cli(['--config', box.ini, 'run']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(logLines(r.stderr).some((l) => String(l.msg).includes('secure ZTP disabled')));
  assert.ok(!r.stderr.includes('trying fetcher'));
  const s = await cli(['--config', box.ini, 'secure-mode', 'status', '--json']);
  assert.deepEqual(JSON.parse(s.stdout), { secureMode: false });
  await cli(['--config', box.ini, 'secure-mode', 'enable']);
  assert.equal((await cli(['--config', box.ini, 'run', '--once'])).code, 1);
});

test('[Startup] start False exits 0 at once, logging that ZTP is not started', async () => {
  writeFileSync(box.ini, readFileSync(box.ini, 'utf8').replace('start: True', 'start: False'));
  const r = await cli(['--config', box.ini, 'run']);
  assert.equal(r.code, 0);
  assert.ok(logLines(r.stderr).some((l) => String(l.msg).includes('ZTP is not started')));
});

test('a live agent holding the state_dir lock makes a second run fail with SZTP_ERR_STATE_LOCKED', async () => {
  (await import('node:fs')).mkdirSync(box.stateDir, { recursive: true });
  // Another process holding the flock of agent.lock (the shell opens it, flock(1) locks that descriptor, sleep keeps it).
  const holder = spawn(
    'sh',
    ['-c', 'exec 9>>"$0"; flock 9; echo locked; exec sleep 30', join(box.stateDir, 'agent.lock')],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  try {
    await new Promise<void>((resolve) => {
      holder.stdout.once('data', () => {
        resolve();
      });
    });
    const r = await cli(['--config', box.ini, 'run', '--once']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error SZTP_ERR_STATE_LOCKED: /);
  } finally {
    holder.kill('SIGKILL');
  }
});

test('a configuration whose adapter is wrong exits 2 with the adapter code', async () => {
  writeFileSync(box.ini, readFileSync(box.ini, 'utf8').replace('adapter: simulated', 'adapter: no-such-adapter'));
  const r = await cli(['--config', box.ini, 'run', '--once']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /error SZTP_ERR_ADAPTER_NOT_FOUND: /);
});
