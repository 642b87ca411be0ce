/**
 * `run` semantics with an injected runtime: exit 0 when [Startup] start is False, when the SZTP
 * flag is off ("secure ZTP disabled") and when bootstrap is complete (nothing touched); exit 1
 * when nothing succeeded, 10 on reboot, 0 on complete and on SIGTERM; the lock is released.
 * @module
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { acquireLock } from '../../../src/platform/lock.ts';
import { runAgent } from '../../../src/daemon/run-agent.ts';
import type { AgentConfig } from '../../../src/config/types.ts';
import { installSignalHandlers } from '../../../src/daemon/signals.ts';
import type { Runtime } from '../../../src/daemon/wire.ts';
import { openStore } from '../../../src/daemon/wire.ts';
import type { Fetcher } from '../../../src/contracts/fetch.ts';
import type { ApplyOutcome } from '../../../src/onboarding/types.ts';
import { withSecureMode } from '../../../src/state/machine.ts';
import { captureLog, fakeContext, fakeFetcher, testConfig } from './fakes.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

let dir: string;
beforeEach(() => {
  dir = makeTempDir('run');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function config(retryForever = false, start = true): AgentConfig {
  const base = testConfig();
  return {
    ...base,
    startup: { start, retryForever },
    agent: { ...base.agent, stateDir: join(dir, 'state'), backoffInitialSeconds: 0.01, backoffMaxSeconds: 0.02 },
  };
}

function fakeBuild(
  fetchers: Fetcher[],
  apply: () => Promise<ApplyOutcome> = () => Promise.resolve({ kind: 'complete' }),
) {
  return (c: AgentConfig, log: Parameters<typeof fakeContext>[1], store: Runtime['store']): Promise<Runtime> =>
    Promise.resolve({
      config: c,
      store,
      fetchers,
      adapter: {} as Runtime['adapter'],
      identity: { serialNumber: 'SN1', hwModel: 'h', osName: 'o', osVersion: 'v' },
      fetchContext: (signal) => fakeContext(c, log, signal),
      apply: () => apply(),
    });
}

const noSignals = () => installSignalHandlers(() => undefined, new EventEmitter());

/** runAgent where the agent must stop before building anything (not started, disabled, complete). */
const runWithoutRuntime = (config: AgentConfig, log: Logger, once: boolean): Promise<number> =>
  runAgent({
    config,
    log,
    once,
    reloadConfig: () => assert.fail(),
    build: () => assert.fail('no runtime'),
    signals: noSignals(),
  });

test('[Startup] start False: exit 0 at once, logging that ZTP is not started', async () => {
  const { log, lines } = captureLog();
  const code = await runWithoutRuntime(config(false, false), log, false);
  assert.equal(code, 0);
  assert.ok(lines.some((l) => String(l.msg).includes('ZTP is not started')));
  assert.equal(existsSync(join(dir, 'state')), false);
});

test('SZTP flag off: "secure ZTP disabled", exit 0', async () => {
  const { log, lines } = captureLog();
  const c = config();
  await openStore(c, log).update((s) => withSecureMode(s, false));
  const code = await runWithoutRuntime(c, log, true);
  assert.equal(code, 0);
  assert.ok(lines.some((l) => String(l.msg).includes('secure ZTP disabled')));
});

test('bootstrap complete: exit 0 without touching anything', async () => {
  const { log } = captureLog();
  const c = config();
  const store = openStore(c, log);
  await store.update((s) => ({ ...s, phase: 'bootstrap-complete' }));
  const before = readdirSync(c.agent.stateDir);
  const code = await runWithoutRuntime(c, log, true);
  assert.equal(code, 0);
  assert.deepEqual(readdirSync(c.agent.stateDir), before);
});

test('exit codes: 1 nothing succeeded, 0 complete, 10 reboot; the lock is released', async () => {
  const calls: string[] = [];
  const { log } = captureLog();
  const failing = [
    fakeFetcher('USB', calls, 'SZTP_ERR_USB_NOT_FOUND'),
    fakeFetcher('Mgmt4', calls, 'SZTP_ERR_DHCP_INTERFACE'),
  ];
  assert.equal(
    await runAgent({
      config: config(),
      log,
      once: true,
      reloadConfig: () => assert.fail(),
      build: fakeBuild(failing),
      signals: noSignals(),
    }),
    1,
  );
  assert.deepEqual(calls, ['USB', 'Mgmt4']);
  await (await acquireLock(join(dir, 'state'))).release(); // free again
  assert.equal(
    await runAgent({
      config: config(),
      log,
      once: true,
      reloadConfig: () => assert.fail(),
      build: fakeBuild([fakeFetcher('USB', calls)]),
      signals: noSignals(),
    }),
    0,
  );
  rmSync(join(dir, 'state'), { recursive: true });
  assert.equal(
    await runAgent({
      config: config(),
      log,
      once: true,
      reloadConfig: () => assert.fail(),
      build: fakeBuild([fakeFetcher('USB', calls)], () => Promise.resolve({ kind: 'reboot' })),
      signals: noSignals(),
    }),
    10,
  );
  assert.equal((await openStore(config(), log).read()).phase, 'rebooting');
});

test('nothing succeeded: a configuration an interrupted attempt left committed is rolled back before exit 1', async () => {
  const { log } = captureLog();
  const c = config();
  const snapshot = { adapter: 'fake', ref: 'snap-1', empty: false };
  await openStore(c, log).update((s) => ({
    ...s,
    phase: 'in-progress',
    journal: {
      digest: 'ab'.repeat(32),
      source: 'usb',
      startedAt: 't',
      completedSteps: ['config'],
      currentStep: 'post-script',
      snapshot,
    },
  }));
  const restored: string[] = [];
  const adapter = {
    restoreConfiguration: (snap: { ref: string }) => {
      restored.push(snap.ref);
      return Promise.resolve();
    },
    discardSnapshot: () => Promise.resolve(),
  };
  const build = (cfg: AgentConfig, l: Parameters<typeof fakeContext>[1], store: Runtime['store']): Promise<Runtime> =>
    fakeBuild([fakeFetcher('USB', [], 'SZTP_ERR_USB_NOT_FOUND')])(cfg, l, store).then((r) => ({
      ...r,
      adapter: adapter as unknown as Runtime['adapter'],
    }));
  assert.equal(
    await runAgent({ config: c, log, once: true, reloadConfig: () => assert.fail(), build, signals: noSignals() }),
    1,
  );
  assert.deepEqual(restored, ['snap-1']);
  const s = await openStore(c, log).read();
  assert.equal(s.journal?.snapshot, undefined);
  assert.equal(s.journal?.currentStep, undefined);
  assert.deepEqual(s.journal?.completedSteps, []);
  assert.equal(s.phase, 'factory-default');
  assert.equal(s.lastError?.code, 'SZTP_ERR_NO_SOURCE');
});

test('retry_forever: backs off until SIGTERM, then exit 0 with the state intact', async () => {
  const calls: string[] = [];
  const { log } = captureLog();
  const emitter = new EventEmitter();
  const signals = installSignalHandlers(() => undefined, emitter);
  // SIGTERM arrives during the third pass (not after a fixed time: under load a timer raced the passes).
  const usb = fakeFetcher('USB', calls, 'SZTP_ERR_USB_NOT_FOUND');
  const fetchers = [
    {
      ...usb,
      fetch: (ctx: Parameters<Fetcher['fetch']>[0]) => {
        const r = usb.fetch(ctx);
        if (calls.length === 3) emitter.emit('SIGTERM');
        return r;
      },
    },
  ];
  const code = await runAgent({
    config: config(true),
    log,
    once: false,
    reloadConfig: () => assert.fail(),
    build: fakeBuild(fetchers),
    signals,
  });
  signals.dispose();
  assert.equal(code, 0);
  assert.ok(calls.length >= 3, `several passes (${calls.length})`);
  const s = await openStore(config(), log).read();
  assert.ok(
    ['SZTP_ERR_NO_SOURCE', 'SZTP_ERR_USB_NOT_FOUND'].includes(s.lastError?.code ?? ''),
    'the last durable state records the failures',
  );
  await (await acquireLock(join(dir, 'state'))).release(); // the lock was released
});

test('SIGHUP reloads the configuration; a broken reload keeps the old one', async () => {
  const calls: string[] = [];
  const { log, lines } = captureLog();
  const emitter = new EventEmitter();
  const signals = installSignalHandlers(() => undefined, emitter);
  let reloads = 0;
  const fetchers = [
    {
      ...fakeFetcher('USB', calls, 'SZTP_ERR_USB_NOT_FOUND'),
      fetch: (ctx: Parameters<Fetcher['fetch']>[0]) => {
        calls.push('USB');
        if (calls.length === 1) emitter.emit('SIGHUP');
        if (calls.length === 2) emitter.emit('SIGHUP');
        return fakeFetcher('USB', [], 'SZTP_ERR_USB_NOT_FOUND').fetch(ctx);
      },
    },
  ];
  const code = await runAgent({
    config: config(true),
    log,
    once: false,
    signals,
    build: fakeBuild(fetchers),
    reloadConfig: () => {
      reloads++;
      if (reloads === 1) return Promise.reject(new Error('broken'));
      return Promise.resolve(config(false));
    },
  });
  signals.dispose();
  assert.equal(code, 1, 'the second reload turned retry_forever off');
  assert.equal(reloads, 2);
  assert.ok(lines.some((l) => l.msg === 'reload failed; keeping the previous configuration'));
  assert.ok(lines.some((l) => l.msg === 'configuration reloaded'));
});
