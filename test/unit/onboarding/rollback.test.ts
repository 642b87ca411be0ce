import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { SztpError } from '../../../src/errors.ts';
import { rollbackAttempt, rollbackStaleJournal } from '../../../src/onboarding/rollback.ts';
import { makeEnv, silentLog, type Env } from '../../support/onboarding-env.ts';

let env: Env | undefined;
afterEach(() => {
  env?.dispose();
  env = undefined;
});

describe('rollback', () => {
  test('restores the snapshot, clears the attempt, records the original error', async () => {
    const e = (env = makeEnv());
    mkdirSync(e.routerRoot, { recursive: true });
    writeFileSync(join(e.routerRoot, 'running-config'), 'before\n');
    const snapshot = await e.adapter.snapshotConfiguration();
    writeFileSync(join(e.routerRoot, 'running-config'), 'after\n');
    await e.store.update((s) => ({
      ...s,
      phase: 'in-progress',
      journal: {
        digest: 'd',
        source: 's',
        startedAt: 't',
        completedSteps: ['config'],
        currentStep: 'post-script',
        snapshot,
      },
    }));
    const err = await rollbackAttempt('d', new SztpError('SZTP_ERR_SCRIPT_FAILED', 'post failed'), {
      adapter: e.adapter,
      store: e.store,
      log: silentLog,
      now: () => new Date(0),
    });
    assert.equal(err.code, 'SZTP_ERR_SCRIPT_FAILED');
    assert.equal(e.runningConfig(), 'before\n');
    const state = await e.store.read();
    assert.deepEqual(state.journal, { digest: 'd', source: 's', startedAt: 't', completedSteps: [] });
    assert.deepEqual(state.lastError, {
      code: 'SZTP_ERR_SCRIPT_FAILED',
      message: 'post failed',
      time: '1970-01-01T00:00:00.000Z',
    });
    assert.equal(state.phase, 'factory-default');
  });

  test('a failed restore is reported as SZTP_ERR_ROLLBACK', async () => {
    const e = (env = makeEnv());
    const snapshot = { adapter: 'simulated', ref: 'vanished.cfg', empty: false };
    await e.store.update((s) => ({
      ...s,
      journal: { digest: 'd', source: 's', startedAt: 't', completedSteps: ['config'], snapshot },
    }));
    const err = await rollbackAttempt('d', new SztpError('SZTP_ERR_SCRIPT_FAILED', 'x'), {
      adapter: e.adapter,
      store: e.store,
      log: silentLog,
      now: () => new Date(),
    });
    assert.equal(err.code, 'SZTP_ERR_ROLLBACK');
    assert.equal((await e.store.read()).lastError?.code, 'SZTP_ERR_ROLLBACK');
  });

  test('a stale journal (other digest) is restored and its kept image deleted; the same digest is left alone', async () => {
    const e = (env = makeEnv());
    const snapshot = await e.adapter.snapshotConfiguration();
    mkdirSync(e.routerRoot, { recursive: true });
    writeFileSync(join(e.routerRoot, 'running-config'), 'half\n');
    const kept = join(e.dir, 'kept.img');
    writeFileSync(kept, 'img');
    const journal = {
      digest: 'old',
      source: 's',
      startedAt: 't',
      completedSteps: [],
      snapshot,
      bootImage: { sha256: 'x', path: kept, installAttempts: 0 },
    };
    await e.store.update((s) => ({ ...s, journal }));
    const deps = { adapter: e.adapter, store: e.store, log: silentLog, now: () => new Date() };
    await rollbackStaleJournal('old', deps);
    assert.equal(e.runningConfig(), 'half\n', 'same digest: untouched');
    await rollbackStaleJournal('new', deps);
    assert.equal(e.runningConfig(), undefined);
    assert.equal(existsSync(kept), false);
    assert.equal((await e.store.read()).journal, undefined);
  });
});
