/**
 * The daemon loop: one pass with `--once` or retry_forever false; retry_forever keeps going with
 * growing backoff until aborted (also during the sleep); SIGHUP reload before the next pass;
 * secure-mode turned off ends the loop; complete / reboot end it.
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PassResult } from '../../../src/daemon/agent.ts';
import { runLoop } from '../../../src/daemon/loop.ts';
import { abortableSleep } from '../../../src/daemon/signals.ts';
import { captureLog, testConfig } from './fakes.ts';

const none: PassResult = { kind: 'none', failures: [{ fetcher: 'USB', code: 'SZTP_ERR_USB_NOT_FOUND', message: 'x' }] };
const forever = testConfig({
  startup: { start: true, retryForever: true },
  agent: { ...testConfig().agent, backoffInitialSeconds: 1, backoffMaxSeconds: 8 },
});

test('--once: one pass, exhausted, no sleep', async () => {
  let passes = 0;
  const r = await runLoop({
    once: true,
    signal: new AbortController().signal,
    log: captureLog().log,
    config: () => forever,
    pass: () => {
      passes++;
      return Promise.resolve(none);
    },
    sleep: () => assert.fail('no sleep with --once'),
  });
  assert.equal(r.outcome, 'exhausted');
  assert.equal(passes, 1);
  assert.deepEqual(r.failures, none.kind === 'none' ? none.failures : []);
});

test('retry_forever false: one pass, exhausted', async () => {
  const config = testConfig({ startup: { start: true, retryForever: false } });
  const r = await runLoop({
    once: false,
    signal: new AbortController().signal,
    log: captureLog().log,
    config: () => config,
    pass: () => Promise.resolve(none),
  });
  assert.equal(r.outcome, 'exhausted');
  assert.equal(r.passes, 1);
});

test('retry_forever keeps going with growing, capped backoff until aborted', async () => {
  const controller = new AbortController();
  const sleeps: number[] = [];
  const r = await runLoop({
    once: false,
    signal: controller.signal,
    log: captureLog().log,
    config: () => forever,
    random: () => 0,
    pass: () => Promise.resolve(none),
    sleep: (ms) => {
      sleeps.push(ms);
      if (sleeps.length === 7) controller.abort();
      return Promise.resolve(true);
    },
  });
  assert.equal(r.outcome, 'aborted');
  assert.equal(r.passes, 7);
  assert.deepEqual(sleeps, [1000, 2000, 4000, 8000, 8000, 8000, 8000]);
});

test('an abort during the (real) backoff sleep ends the loop at once', async () => {
  const controller = new AbortController();
  const long = testConfig({
    startup: { start: true, retryForever: true },
    agent: { ...testConfig().agent, backoffInitialSeconds: 60, backoffMaxSeconds: 60 },
  });
  const started = Date.now();
  setTimeout(() => {
    controller.abort();
  }, 50);
  const r = await runLoop({
    once: false,
    signal: controller.signal,
    log: captureLog().log,
    config: () => long,
    pass: () => Promise.resolve(none),
  });
  assert.equal(r.outcome, 'aborted');
  assert.ok(Date.now() - started < 2000, 'stopped promptly');
});

test('complete and reboot end the loop with their outcome', async () => {
  for (const kind of ['complete', 'reboot'] as const) {
    const r = await runLoop({
      once: false,
      signal: new AbortController().signal,
      log: captureLog().log,
      config: () => forever,
      pass: () => Promise.resolve({ kind, source: 's' }),
    });
    assert.equal(r.outcome, kind);
  }
});

test('a reload requested by SIGHUP runs before the next pass and the new config is used', async () => {
  let config = forever;
  let reloadAsked = false;
  const seen: boolean[] = [];
  const r = await runLoop({
    once: false,
    signal: new AbortController().signal,
    log: captureLog().log,
    config: () => config,
    takeReload: () => {
      const x = reloadAsked;
      reloadAsked = false;
      return x;
    },
    reload: () => {
      config = testConfig({ startup: { start: true, retryForever: false } });
      return Promise.resolve();
    },
    pass: (c) => {
      seen.push(c.startup.retryForever);
      return Promise.resolve(none);
    },
    sleep: () => {
      reloadAsked = true;
      return Promise.resolve(true);
    },
  });
  assert.equal(r.outcome, 'exhausted');
  assert.deepEqual(seen, [true, false]);
});

test('secure-mode turned off between passes ends the loop as disabled', async () => {
  let enabled = true;
  const r = await runLoop({
    once: false,
    signal: new AbortController().signal,
    log: captureLog().log,
    config: () => forever,
    enabled: () => Promise.resolve(enabled),
    pass: () => {
      enabled = false;
      return Promise.resolve(none);
    },
    sleep: () => Promise.resolve(true),
  });
  assert.equal(r.outcome, 'disabled');
  assert.equal(r.passes, 1);
});

test('abortableSleep resolves true after the time and false on abort', async () => {
  const c = new AbortController();
  assert.equal(await abortableSleep(5, c.signal), true);
  const p = abortableSleep(10_000, c.signal);
  c.abort();
  assert.equal(await p, false);
  assert.equal(await abortableSleep(10_000, c.signal), false);
});
