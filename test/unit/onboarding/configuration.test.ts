import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { RouterAdapter } from '../../../src/adapters/router-adapter.ts';
import { executeConfiguration } from '../../../src/onboarding/configuration.ts';
import type { StepContext } from '../../../src/onboarding/step-context.ts';
import type { OnboardingJournal } from '../../../src/state/types.ts';
import { bytes, type Env, makeEnv, stepContext } from '../../support/onboarding-env.ts';

let env: Env | undefined;
afterEach(() => {
  env?.dispose();
  env = undefined;
});

const ctx = (e: Env, adapter: RouterAdapter, journal: OnboardingJournal): StepContext =>
  stepContext(e, journal, { adapter });

describe('configuration step', () => {
  test('the snapshot is in the journal before the commit happens', async () => {
    const e = (env = makeEnv());
    const journal: OnboardingJournal = { digest: 'd', source: 's', startedAt: 't', completedSteps: [] };
    await e.store.update((s) => ({ ...s, journal }));
    let journalledAtCommit: unknown;
    const adapter: RouterAdapter = {
      ...e.adapter,
      commitConfiguration: async (mode, data) => {
        journalledAtCommit = (await e.store.read()).journal?.snapshot;
        return e.adapter.commitConfiguration(mode, data);
      },
    };
    await executeConfiguration(
      { kind: 'config', mode: 'replace', configuration: bytes('x\n') },
      ctx(e, adapter, journal),
    );
    assert.ok(journalledAtCommit !== undefined, 'snapshot persisted before commit');
    assert.equal(e.runningConfig(), 'x\n');
    assert.deepEqual(
      (await e.store.read()).events.map((x) => x.progressType),
      ['config-initiated', 'config-complete'],
    );
  });

  test('a non-coded adapter failure becomes SZTP_ERR_CONFIG_COMMIT', async () => {
    const e = (env = makeEnv());
    const journal: OnboardingJournal = { digest: 'd', source: 's', startedAt: 't', completedSteps: [] };
    await e.store.update((s) => ({ ...s, journal }));
    const adapter: RouterAdapter = { ...e.adapter, commitConfiguration: () => Promise.reject(new Error('disk full')) };
    await assert.rejects(
      executeConfiguration({ kind: 'config', mode: 'merge', configuration: bytes('x') }, ctx(e, adapter, journal)),
      { code: 'SZTP_ERR_CONFIG_COMMIT' },
    );
  });
});
