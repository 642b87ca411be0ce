/**
 * What every onboarding step executor receives (RFC 8572 §5.6 steps 3 to 6), and the mapped
 * executor type: one executor per step kind of the plan, checked by the compiler.
 * @module
 */
import type { OnboardingSource } from '../contracts/fetch.ts';
import type { OnboardingJournal } from '../state/types.ts';
import type { OnboardingStep } from './plan.ts';
import type { Progress } from './progress.ts';
import type { ApplyDeps } from './types.ts';

export interface StepContext {
  readonly source: OnboardingSource;
  readonly deps: ApplyDeps;
  readonly progress: Progress;
  /** The journal as it was when the step started. */
  readonly journal: OnboardingJournal;
  /** Durably changes this attempt's journal. */
  readonly updateJournal: (change: (j: OnboardingJournal) => OnboardingJournal) => Promise<void>;
}

/** `done`: the step finished. `reboot`: an image was installed and the device is rebooting. */
export type StepResult = 'done' | 'reboot';

/** One executor per step kind; adding a kind to OnboardingStep without an executor fails tsc. */
export type StepExecutors = {
  readonly [K in OnboardingStep['kind']]: (
    step: Extract<OnboardingStep, { kind: K }>,
    ctx: StepContext,
  ) => Promise<StepResult>;
};
