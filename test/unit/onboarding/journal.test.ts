import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { completeStep, resetAfterError, startStep, updateJournal, without } from '../../../src/onboarding/journal.ts';
import type { OnboardingJournal } from '../../../src/state/types.ts';
import { MemoryStore } from '../../support/memory-store.ts';

const j: OnboardingJournal = { digest: 'd1', source: 's', startedAt: 't', completedSteps: ['boot-image'] };
const snapshot = { adapter: 'simulated', ref: 'r', empty: false };

describe('journal transitions', () => {
  test('start, complete (idempotent), reset after error keeps the boot-image record only', () => {
    const started = startStep(j, 'pre-script');
    assert.equal(started.currentStep, 'pre-script');
    const done = completeStep(started, 'pre-script');
    assert.deepEqual(done, { ...j, completedSteps: ['boot-image', 'pre-script'] });
    assert.ok(!('currentStep' in done));
    assert.deepEqual(completeStep(done, 'pre-script').completedSteps, ['boot-image', 'pre-script']);
    const failed = resetAfterError({
      ...done,
      currentStep: 'config',
      snapshot,
      bootImage: { sha256: 'x', installAttempts: 1 },
    });
    assert.deepEqual(failed, {
      digest: 'd1',
      source: 's',
      startedAt: 't',
      completedSteps: [],
      bootImage: { sha256: 'x', installAttempts: 1 },
    });
  });

  test('without removes keys rather than setting undefined', () => {
    const r = without({ ...j, currentStep: 'config', snapshot }, 'snapshot', 'currentStep');
    assert.deepEqual(Object.keys(r).sort(), ['completedSteps', 'digest', 'source', 'startedAt']);
  });

  test('updateJournal changes only the journal of the same digest', async () => {
    const store = new MemoryStore();
    assert.equal(await updateJournal(store, 'd1', (x) => startStep(x, 'config')), undefined, 'no journal yet');
    await store.update((s) => ({ ...s, journal: j }));
    assert.equal((await updateJournal(store, 'd1', (x) => startStep(x, 'config')))?.currentStep, 'config');
    assert.equal(await updateJournal(store, 'other', (x) => startStep(x, 'post-script')), undefined);
    assert.equal((await store.read()).journal?.currentStep, 'config');
  });
});
