/**
 * The onboarding applier (RFC 8572 §5.6), shared by every source: `bootstrap-initiated`, then the
 * planned steps in RFC order through an exhaustive executor map, each bracketed by the journal
 * (currentStep before, completedSteps after), then `bootstrap-complete` with the adapter's SSH
 * host keys and trust anchors. Any error: the step's `*-error`, rollback of the configuration
 * snapshot, in-progress state cleared, the coded error rethrown so the loop tries the next source.
 * An image install ends the attempt with `{ kind: 'reboot' }` (the daemon exits 10); the next run
 * of the same conveyed information resumes from the journal. Rules: docs/onboarding.md.
 * @module
 */
import { mkdir, rm } from 'node:fs/promises';
import { SztpError, isSztpError, toSztpError, type SztpErrorCode } from '../errors.ts';
import type { OnboardingSource } from '../contracts/fetch.ts';
import type { ProgressType } from '../progress/progress-type.ts';
import type { OnboardingJournal, OnboardingStepKind } from '../state/types.ts';
import type { BootImage } from '../types.ts';
import { executeBootImage } from './boot-image.ts';
import { executeConfiguration } from './configuration.ts';
import { completeStep, startStep, updateJournal, without } from './journal.ts';
import {
  carriedBootImage,
  digestAlgorithm,
  hasNoCriteria,
  planOnboarding,
  requiredCapabilities,
  type OnboardingStep,
  type RunningImageDigest,
} from './plan.ts';
import { createProgress, type Progress } from './progress.ts';
import { rollbackAttempt, rollbackStaleJournal } from './rollback.ts';
import { executeScript, removeLeftoverScripts } from './scripts.ts';
import type { StepContext, StepExecutors } from './step-context.ts';
import type { ApplyDeps, ApplyOutcome } from './types.ts';

const EXECUTORS: StepExecutors = {
  'boot-image': executeBootImage,
  'pre-script': executeScript,
  config: executeConfiguration,
  'post-script': executeScript,
};

/** Runs one step through its executor (the cast is sound: EXECUTORS is keyed by the same union). */
function execute(step: OnboardingStep, ctx: StepContext): ReturnType<StepExecutors[OnboardingStep['kind']]> {
  const run = EXECUTORS[step.kind] as (
    s: OnboardingStep,
    c: StepContext,
  ) => ReturnType<StepExecutors[OnboardingStep['kind']]>;
  return run(step, ctx);
}

const ERROR_TYPE: Readonly<Record<OnboardingStepKind, ProgressType>> = {
  'boot-image': 'boot-image-error',
  'pre-script': 'pre-script-error',
  config: 'config-error',
  'post-script': 'post-script-error',
};

/** Where an attempt stands when it fails: which error report applies, and which fallback code. */
interface FailurePoint {
  readonly type: ProgressType;
  readonly fallback: SztpErrorCode;
}

const FALLBACK_CODE: Readonly<Record<OnboardingStepKind, SztpErrorCode>> = {
  'boot-image': 'SZTP_ERR_BOOT_IMAGE_INSTALL',
  'pre-script': 'SZTP_ERR_SCRIPT_FAILED',
  config: 'SZTP_ERR_CONFIG_COMMIT',
  'post-script': 'SZTP_ERR_SCRIPT_FAILED',
};

async function fail(
  point: FailurePoint,
  err: unknown,
  source: OnboardingSource,
  deps: ApplyDeps,
  progress: Progress,
): Promise<never> {
  const error = toSztpError(err, point.fallback);
  try {
    await progress.emit(point.type, `${error.code}: ${error.message}`);
  } catch (reportErr) {
    deps.log.warn({ err: reportErr }, 'error report failed');
  }
  throw await rollbackAttempt(source.info.digest, error, deps);
}

/** The adapter's digest of the running image, asked only for a boot image without os-name/os-version. */
async function runningImageDigest(
  image: BootImage | undefined,
  deps: ApplyDeps,
): Promise<RunningImageDigest | undefined> {
  if (image === undefined || !hasNoCriteria(image)) return undefined;
  const algorithm = digestAlgorithm(image);
  if (algorithm === undefined) return undefined;
  const hex = await deps.adapter.runningImageDigest?.(algorithm);
  return { algorithm, hex };
}

function newJournal(source: OnboardingSource, now: Date, bootImage: OnboardingJournal['bootImage']): OnboardingJournal {
  return {
    digest: source.info.digest,
    source: source.description,
    startedAt: now.toISOString(),
    completedSteps: [],
    ...(bootImage === undefined ? {} : { bootImage }),
  };
}

/** Applies validated onboarding information; resolves `complete` or `reboot`, or throws a coded SztpError. */
export async function applyOnboarding(source: OnboardingSource, deps: ApplyDeps): Promise<ApplyOutcome> {
  const { log } = deps;
  const progress = createProgress(source, deps);
  const digest = source.info.digest;
  await mkdir(deps.config.agent.stateDir, { recursive: true, mode: 0o700 });
  await removeLeftoverScripts(deps.config.agent.stateDir);
  const previous = (await deps.store.read()).journal;
  const carried =
    previous?.digest === digest ? undefined : carriedBootImage(previous, source.info.onboarding.bootImage);
  await rollbackStaleJournal(digest, deps);
  const started = await deps.store.update((s) => ({
    ...s,
    phase: 'in-progress',
    source: source.description,
    journal: s.journal?.digest === digest ? s.journal : newJournal(source, deps.now(), carried),
  }));
  const resumed = started.journal?.completedSteps ?? [];
  if (resumed.length > 0 || started.journal?.currentStep !== undefined) {
    log.info(
      { completed: resumed, interrupted: started.journal?.currentStep },
      'resuming onboarding of the same conveyed information',
    );
  }

  try {
    await progress.emit('bootstrap-initiated', `onboarding from ${source.description}`);
  } catch (err) {
    return fail({ type: 'bootstrap-error', fallback: 'SZTP_ERR_PROGRESS_REPORT' }, err, source, deps, progress);
  }

  let steps: OnboardingStep[];
  try {
    steps = planOnboarding(
      source.info.onboarding,
      started.journal,
      await deps.adapter.identity(),
      await runningImageDigest(source.info.onboarding.bootImage, deps),
      deps.config.onboarding.imageWithoutCriteria,
    );
  } catch (err) {
    const type: ProgressType =
      isSztpError(err) && err.stage === 'conveyed-information' ? 'parsing-error' : 'bootstrap-error';
    return fail({ type, fallback: 'SZTP_ERR_ADAPTER_COMMAND' }, err, source, deps, progress);
  }
  // Before the first step: a plan the adapter cannot carry out fails now, not after a boot image or script ran.
  const missing =
    deps.capabilities === undefined
      ? []
      : requiredCapabilities(steps).filter((c) => deps.capabilities?.has(c) !== true);
  if (missing.length > 0) {
    const error = new SztpError(
      'SZTP_ERR_ADAPTER_UNSUPPORTED',
      `adapter '${deps.adapter.name}' cannot ${missing.join(', ')}, which the onboarding information needs`,
      {
        evidence: { adapter: deps.adapter.name, missing },
      },
    );
    return fail({ type: 'parsing-error', fallback: 'SZTP_ERR_ADAPTER_UNSUPPORTED' }, error, source, deps, progress);
  }

  // A function, not a property read: the signal changes while steps run.
  const aborted = (): boolean => deps.signal.aborted;
  for (const step of steps) {
    if (aborted()) {
      // Stop between steps; the journal stays so the next run resumes (no half-applied step).
      throw new SztpError('SZTP_ERR_ABORTED', `stopped before the ${step.kind} step; the next run resumes`);
    }
    // The operator may turn secure ZTP off at any time (`secure-mode disable`): checked before
    // every step; the attempt is then rolled back rather than left half-applied. A script of this
    // onboarding that turns it off (the usual end of onboarding) does not stop it.
    const flag = await deps.store.read();
    if (!flag.secureMode && flag.secureModeOffBy !== 'onboarding') {
      return fail(
        { type: 'bootstrap-error', fallback: 'SZTP_ERR_SECURE_MODE_OFF' },
        new SztpError(
          'SZTP_ERR_SECURE_MODE_OFF',
          `secure ZTP was disabled before the ${step.kind} step; the attempt is rolled back`,
        ),
        source,
        deps,
        progress,
      );
    }
    const point: FailurePoint = { type: ERROR_TYPE[step.kind], fallback: FALLBACK_CODE[step.kind] };
    try {
      const journal = await updateJournal(deps.store, digest, (j) => startStep(j, step.kind));
      if (journal === undefined)
        throw new SztpError(
          'SZTP_ERR_ONBOARDING_IN_PROGRESS',
          'the onboarding journal was replaced by another attempt',
        );
      const ctx: StepContext = {
        source,
        deps,
        progress,
        journal,
        updateJournal: async (change) => {
          await updateJournal(deps.store, digest, change);
        },
      };
      const result = await execute(step, ctx);
      if (result === 'reboot') return { kind: 'reboot' };
      await updateJournal(deps.store, digest, (j) => completeStep(j, step.kind));
    } catch (err) {
      if (aborted()) {
        // Stopped by a signal inside the step (e.g. during a download): like a crash, the step
        // stays `currentStep` and the next run re-runs it by the resume rules; no rollback.
        log.warn({ step: step.kind, err }, 'onboarding stopped by a signal inside a step; the next run resumes');
        throw new SztpError('SZTP_ERR_ABORTED', `stopped during the ${step.kind} step; the next run resumes`, {
          cause: err,
        });
      }
      return fail(point, err, source, deps, progress);
    }
  }

  await warnIfStillEnabled(source, deps, progress);
  try {
    const [sshHostKeys, trustAnchorCerts] = await Promise.all([
      deps.adapter.sshHostKeys(),
      deps.adapter.trustAnchorCerts(),
    ]);
    await progress.emit('bootstrap-complete', `onboarding from ${source.description} complete`, {
      sshHostKeys,
      trustAnchorCerts,
    });
  } catch (err) {
    return fail({ type: 'bootstrap-error', fallback: 'SZTP_ERR_PROGRESS_REPORT' }, err, source, deps, progress);
  }
  await finish(digest, deps);
  return { kind: 'complete' };
}

/**
 * RFC 8572 §5.6 (C-128): when the onboarding did not disable the SZTP flag (`secure-mode` is
 * still enabled in the state, e.g. no post-configuration script ran `sztp-agent secure-mode
 * disable`) and the server is trusted, send `bootstrap-warning` before `bootstrap-complete`: the
 * next boot would run secure ZTP again. Best effort; never for untrusted sources.
 */
async function warnIfStillEnabled(source: OnboardingSource, deps: ApplyDeps, progress: Progress): Promise<void> {
  if (!source.trustedServer || !(await deps.store.read()).secureMode) return;
  try {
    await progress.emit(
      'bootstrap-warning',
      'the SZTP flag is still enabled after onboarding: secure ZTP runs again at the next boot (RFC 8572 §5.6)',
    );
  } catch (err) {
    deps.log.warn({ err }, 'bootstrap-warning report failed');
  }
}

/** After bootstrap-complete: phase complete, snapshot and kept image dropped, nothing in progress. */
async function finish(digest: string, deps: ApplyDeps): Promise<void> {
  const before = await deps.store.read();
  await deps.store.update((s) => {
    const { lastError: _cleared, ...rest } = s;
    return {
      ...rest,
      phase: 'bootstrap-complete',
      ...(s.journal?.digest === digest ? { journal: without(s.journal, 'snapshot', 'currentStep') } : {}),
    };
  });
  const journal = before.journal?.digest === digest ? before.journal : undefined;
  if (journal?.snapshot !== undefined) {
    try {
      await deps.adapter.discardSnapshot(journal.snapshot);
    } catch (err) {
      deps.log.warn({ err }, 'could not discard the configuration snapshot');
    }
  }
  if (journal?.bootImage?.path !== undefined) await rm(journal.bootImage.path, { force: true });
}
