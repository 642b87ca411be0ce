/**
 * The onboarding journal (state.journal) as the applier changes it: keyed by the digest of the
 * conveyed information, it records completed steps, the step in progress, the pre-commit
 * configuration snapshot and the boot-image attempt, so a restart after a kill or a reboot
 * resumes without repeating a completed step (RFC 8572 §5.6 step 3 resume, T-22, T-24).
 * Only `StateStore.update/read` is used; the store makes each change durable.
 * @module
 */
import type { OnboardingJournal, OnboardingStepKind, StateStore } from '../state/types.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Changes the journal of `digest` (no-op when the stored journal belongs to other data). */
export async function updateJournal(
  store: StateStore,
  digest: string,
  change: (j: OnboardingJournal) => OnboardingJournal,
): Promise<OnboardingJournal | undefined> {
  const state = await store.update((s) => (s.journal?.digest === digest ? { ...s, journal: change(s.journal) } : s));
  return state.journal?.digest === digest ? state.journal : undefined;
}

type OptionalKey = 'currentStep' | 'snapshot' | 'bootImage' | 'rollback';

/** Removes optional keys (exactOptionalPropertyTypes forbids assigning undefined). */
export function without(j: OnboardingJournal, ...keys: OptionalKey[]): OnboardingJournal {
  const copy: Mutable<OnboardingJournal> = { ...j };
  if (keys.includes('currentStep')) delete copy.currentStep;
  if (keys.includes('snapshot')) delete copy.snapshot;
  if (keys.includes('bootImage')) delete copy.bootImage;
  if (keys.includes('rollback')) delete copy.rollback;
  return copy;
}

export function startStep(j: OnboardingJournal, kind: OnboardingStepKind): OnboardingJournal {
  return { ...j, currentStep: kind };
}

export function completeStep(j: OnboardingJournal, kind: OnboardingStepKind): OnboardingJournal {
  const completedSteps = j.completedSteps.includes(kind) ? j.completedSteps : [...j.completedSteps, kind];
  return { ...without(j, 'currentStep'), completedSteps };
}

/** After an error: nothing in progress, no step counted as done (its effects were undone); the boot-image record stays (loop guard). */
export function resetAfterError(j: OnboardingJournal): OnboardingJournal {
  return { ...without(j, 'currentStep', 'snapshot', 'rollback'), completedSteps: [] };
}
