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
      : new SztpError('SZTP_ERR_ROLLBACK', `restoring the configuration snapshot failed: ${String(err)}`, { cause: err });
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
 * lastError. Returns the error to rethrow: `error` itself, or SZTP_ERR_ROLLBACK if the restore failed.
 */
export async function rollbackAttempt(digest: string, error: SztpError, deps: RollbackDeps): Promise<SztpError> {
  const state = await deps.store.read();
  const journal = state.journal?.digest === digest ? state.journal : undefined;
  let result = error;
  if (journal !== undefined) {
    try {
      await restoreSnapshot(journal, deps);
    } catch (err) {
      result = err instanceof SztpError ? err : new SztpError('SZTP_ERR_ROLLBACK', String(err), { cause: err });
      deps.log.error({ err: result, code: result.code, original: error.code }, 'rollback failed');
    }
  }
  const time = deps.now().toISOString();
  await deps.store.update((s) => ({
    ...s,
    phase: 'factory-default',
    lastError: { code: result.code, message: result.message, time },
    ...(s.journal?.digest === digest ? { journal: resetAfterError(s.journal) } : {}),
  }));
  return result;
}

/** Rolls back a journal left by other conveyed information (a crash or a different source), then drops it. */
export async function rollbackStaleJournal(currentDigest: string, deps: RollbackDeps): Promise<void> {
  const state = await deps.store.read();
  const stale = state.journal;
  if (stale === undefined || stale.digest === currentDigest) return;
  deps.log.warn({ digest: stale.digest, currentStep: stale.currentStep, completed: stale.completedSteps },
    'onboarding journal belongs to other conveyed information: rolling it back first');
  await restoreSnapshot(stale, deps);
  if (stale.bootImage?.path !== undefined) await rm(stale.bootImage.path, { force: true });
  await deps.store.update((s) => {
    if (s.journal?.digest !== stale.digest) return s;
    const { journal: _dropped, ...rest } = s;
    return rest;
  });
}
