/**
 * The configuration step (RFC 8572 §5.6 step 5, C-126, T-24): snapshot the running
 * configuration, persist the snapshot in the journal BEFORE committing (so a crash or a later
 * error can restore it), then commit `merge` or `replace` atomically through the adapter.
 * Crash inside this step: the journal still holds the snapshot, so the re-run first restores it
 * (undoing a commit that may have happened) and then commits again.
 * @module
 */
import { SztpError, isSztpError } from '../errors.ts';
import type { OnboardingStep } from './plan.ts';
import type { StepContext, StepResult } from './step-context.ts';
import { messageOf } from '../lib/error-info.ts';

type ConfigStep = Extract<OnboardingStep, { kind: 'config' }>;

export async function executeConfiguration(step: ConfigStep, ctx: StepContext): Promise<StepResult> {
  const { deps, progress, journal } = ctx;
  await progress.emit(
    'config-initiated',
    `committing configuration (${step.mode}, ${step.configuration.length} bytes)`,
  );
  if (journal.snapshot !== undefined) {
    deps.log.warn(
      { snapshot: journal.snapshot.ref },
      'configuration step was interrupted: restoring the pre-onboarding configuration first',
    );
    await deps.adapter.restoreConfiguration(journal.snapshot);
  } else {
    const snapshot = await deps.adapter.snapshotConfiguration();
    await ctx.updateJournal((j) => ({ ...j, snapshot }));
  }
  try {
    await deps.adapter.commitConfiguration(step.mode, step.configuration);
  } catch (err) {
    throw isSztpError(err)
      ? err
      : new SztpError('SZTP_ERR_CONFIG_COMMIT', `commit failed: ${messageOf(err)}`, { cause: err });
  }
  await progress.emit('config-complete', `configuration committed (${step.mode})`);
  return 'done';
}
