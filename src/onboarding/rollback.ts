/**
 * Rollback of a failed or abandoned onboarding attempt (RFC 8572 §5.6 "leave nothing active",
 * C-115, C-131, T-24): restore the pre-commit configuration snapshot kept in the journal, drop
 * the snapshot, clear the in-progress state, record the error. Used after any step error, after a
 * rejected `bootstrap-complete`, and before applying different conveyed information than the
 * journal's (a crash left another attempt half done).
 * @module
 */
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { RouterAdapter } from '../adapters/router-adapter.ts';
import { SztpError } from '../errors.ts';
import type { OnboardingJournal, StateStore } from '../state/types.ts';
import { resetAfterError } from './journal.ts';
import { messageOf } from '../lib/error-info.ts';

export interface RollbackDeps {
  readonly adapter: RouterAdapter;
  readonly store: StateStore;
  readonly log: Logger;
  readonly now: () => Date;
}

/** Restores and discards the journal's snapshot; throws SZTP_ERR_ROLLBACK when the restore fails. */
export async function restoreSnapshot(journal: OnboardingJournal, deps: RollbackDeps): Promise<void> {
  const snapshot = journal.snapshot;
  if (snapshot === undefined) return;
  try {
    await deps.adapter.restoreConfiguration(snapshot);
  } catch (err) {
    throw err instanceof SztpError && err.code === 'SZTP_ERR_ROLLBACK'
      ? err
      : new SztpError('SZTP_ERR_ROLLBACK', `restoring the configuration snapshot failed: ${messageOf(err)}`, {
          cause: err,
        });
  }
  deps.log.info({ snapshot: snapshot.ref }, 'configuration restored to its pre-onboarding state');
  try {
    await deps.adapter.discardSnapshot(snapshot);
  } catch (err) {
    deps.log.warn({ err }, 'could not discard the configuration snapshot');
  }
}

/**
 * Undoes the attempt recorded in the journal after `error`: restores the snapshot, clears the
 * in-progress state (the boot-image attempt record stays, as the reboot-loop guard), records
 * lastError; a snapshot whose restore failed stays in the journal. Returns the error to rethrow:
 * `error` itself, or SZTP_ERR_ROLLBACK if the restore failed.
 */
export async function rollbackAttempt(digest: string, error: SztpError, deps: RollbackDeps): Promise<SztpError> {
  // Intent first: a crash between the restore and the journal update must not let the next run
  // resume the steps just undone (it would skip the configuration and report bootstrap-complete).
  const intent = { code: error.code, message: error.message, startedAt: deps.now().toISOString() };
  const state = await deps.store.update((s) =>
    s.journal?.digest === digest && s.journal.rollback === undefined
      ? { ...s, journal: { ...s.journal, rollback: intent } }
      : s,
  );
  const journal = state.journal?.digest === digest ? state.journal : undefined;
  let result = error;
  let restored = true;
  if (journal !== undefined) {
    try {
      await restoreSnapshot(journal, deps);
    } catch (err) {
      restored = false;
      result = err instanceof SztpError ? err : new SztpError('SZTP_ERR_ROLLBACK', messageOf(err), { cause: err });
      deps.log.error({ err: result, code: result.code, original: error.code }, 'rollback failed');
    }
  }
  const time = deps.now().toISOString();
  await deps.store.update((s) => ({
    ...s,
    phase: 'factory-default',
    lastError: { code: result.code, message: result.message, time },
    ...(s.journal?.digest === digest ? { journal: afterRollback(s.journal, restored) } : {}),
  }));
  return result;
}

/**
 * On start, before anything else: a rollback whose intent was journalled but whose end was not (a
 * crash or kill between the two) is finished: the snapshot is restored again (restoring is
 * idempotent) and the journal closed. Returns the finished rollback's error, or undefined.
 */
export async function finishInterruptedRollback(deps: RollbackDeps): Promise<SztpError | undefined> {
  const journal = (await deps.store.read()).journal;
  if (journal?.rollback === undefined) return undefined;
  deps.log.warn(
    { digest: journal.digest, code: journal.rollback.code, startedAt: journal.rollback.startedAt },
    'finishing a rollback that a crash interrupted',
  );
  return rollbackAttempt(journal.digest, new SztpError(journal.rollback.code, journal.rollback.message), deps);
}

/**
 * The journal after a rollback. A snapshot that could not be restored stays, so the next attempt
 * restores it before anything else (the configuration step does, and so does a stale-journal
 * rollback) instead of snapshotting the half-applied configuration as if it were the original.
 */
function afterRollback(j: OnboardingJournal, restored: boolean): OnboardingJournal {
  const reset = resetAfterError(j);
  return restored || j.snapshot === undefined ? reset : { ...reset, snapshot: j.snapshot };
}

/**
 * When the sources are exhausted, an attempt that a crash or a stop left with a committed
 * configuration (its snapshot still in the journal) is rolled back rather than left active until
 * some source delivers data again (C-115). Returns the rollback's error, or undefined when there
 * was nothing to undo.
 */
export async function rollbackInterrupted(deps: RollbackDeps): Promise<SztpError | undefined> {
  const journal = (await deps.store.read()).journal;
  if (journal?.snapshot === undefined) return undefined;
  deps.log.warn(
    { digest: journal.digest, currentStep: journal.currentStep, completed: journal.completedSteps },
    'no source delivered the interrupted onboarding again: restoring the configuration from before it',
  );
  return rollbackAttempt(
    journal.digest,
    new SztpError(
      'SZTP_ERR_NO_SOURCE',
      'no source delivered the interrupted onboarding information again; its configuration was rolled back',
    ),
    deps,
  );
}

/** Rolls back a journal left by other conveyed information (a crash or a different source), then drops it. */
export async function rollbackStaleJournal(currentDigest: string, deps: RollbackDeps): Promise<void> {
  const state = await deps.store.read();
  const stale = state.journal;
  if (stale === undefined || stale.digest === currentDigest) return;
  deps.log.warn(
    { digest: stale.digest, currentStep: stale.currentStep, completed: stale.completedSteps },
    'onboarding journal belongs to other conveyed information: rolling it back first',
  );
  await restoreSnapshot(stale, deps);
  if (stale.bootImage?.path !== undefined) await rm(stale.bootImage.path, { force: true });
  await deps.store.update((s) => {
    if (s.journal?.digest !== stale.digest) return s;
    const { journal: _dropped, ...rest } = s;
    return rest;
  });
}
