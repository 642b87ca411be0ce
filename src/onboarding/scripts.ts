/**
 * Pre- and post-configuration scripts (RFC 8572 §5.6 steps 4 and 6, C-125, C-127, AT-45..AT-47).
 * The script is written to a private temporary file (mode 0700 in a 0700 directory under
 * state_dir), run through the adapter with `[Onboarding] script_timeout_seconds`, and removed.
 *
 * Exit-status convention (the RFC leaves it open; documented in docs/onboarding.md):
 * - 0: success;
 * - 80..99: warning: processing continues, `*-warning` carries the output;
 * - any other status, death by a signal, or the timeout: error (`*-error`, rollback).
 * The warning range avoids every status a failing command produces by accident (1, 2, 126, 127,
 * 128+n, sysexits 64..78), so a crashing script can never pass as a warning.
 * @module
 */
import { SCRIPT_DIR_NAME, stateLayout } from '../lib/state-layout.ts';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SztpError } from '../errors.ts';
import type { ScriptResult } from '../adapters/router-adapter.ts';
import type { OnboardingStep } from './plan.ts';
import type { StepContext, StepResult } from './step-context.ts';

export const WARNING_EXIT_MIN = 80;
export const WARNING_EXIT_MAX = 99;

export type ScriptVerdict = 'success' | 'warning' | 'error' | 'timeout';

/** Pure mapping of a script result to the convention above. */
export function classifyScript(result: ScriptResult): ScriptVerdict {
  if (result.timedOut) return 'timeout';
  if (result.exitCode === 0) return 'success';
  if (result.exitCode !== null && result.exitCode >= WARNING_EXIT_MIN && result.exitCode <= WARNING_EXIT_MAX)
    return 'warning';
  return 'error';
}

/** The script's output for a progress message: stdout and stderr, each labelled when non-empty. */
export function scriptOutput(result: ScriptResult): string {
  const parts: string[] = [];
  if (result.stdout.trim() !== '') parts.push(`stdout: ${result.stdout.trim()}`);
  if (result.stderr.trim() !== '') parts.push(`stderr: ${result.stderr.trim()}`);
  return parts.join('\n');
}

function status(result: ScriptResult): string {
  if (result.timedOut) return 'timed out';
  if (result.signal !== null) return `killed by ${result.signal}`;
  return `exit status ${result.exitCode ?? 'unknown'}`;
}

type ScriptStep = Extract<OnboardingStep, { kind: 'pre-script' | 'post-script' }>;

/** Removes script directories a killed agent left in state_dir (the `finally` below never ran). */
export async function removeLeftoverScripts(stateDir: string): Promise<void> {
  const names = await readdir(stateDir).catch(() => [] as string[]);
  for (const name of names) {
    if (SCRIPT_DIR_NAME.test(name)) await rm(join(stateDir, name), { recursive: true, force: true });
  }
}

export async function executeScript(step: ScriptStep, ctx: StepContext): Promise<StepResult> {
  const { deps, progress } = ctx;
  const kind = step.kind === 'pre-script' ? 'pre' : 'post';
  await progress.emit(`${step.kind}-initiated`);
  const dir = await mkdtemp(stateLayout(deps.config.agent.stateDir).scriptDirPrefix(kind));
  let result: ScriptResult;
  try {
    await chmod(dir, 0o700);
    const file = join(dir, `${kind}-configuration-script`);
    await writeFile(file, step.script, { mode: 0o700 });
    result = await deps.adapter.runScript(kind, file, {
      // SIGTERM kills the script (and what it started): the step stays unfinished in the journal and
      // the next run runs it again; waiting for the script could exceed the 5 s a stop may take.
      timeoutMs: deps.config.onboarding.scriptTimeoutSeconds * 1000,
      signal: deps.signal,
      env: { SZTP_SCRIPT_KIND: kind, SZTP_SOURCE: ctx.source.description },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const verdict = classifyScript(result);
  const output = scriptOutput(result);
  const summary = `${kind}-configuration script ${status(result)}${output === '' ? '' : `\n${output}`}`;
  switch (verdict) {
    case 'success':
      await progress.emit(`${step.kind}-complete`, summary);
      return 'done';
    case 'warning':
      await progress.emit(`${step.kind}-warning`, summary);
      await progress.emit(`${step.kind}-complete`, `${kind}-configuration script finished with a warning`);
      return 'done';
    case 'timeout':
      throw new SztpError(
        'SZTP_ERR_SCRIPT_TIMEOUT',
        `${summary} (limit ${deps.config.onboarding.scriptTimeoutSeconds} s)`,
        { evidence: { script: kind, timeoutSeconds: deps.config.onboarding.scriptTimeoutSeconds } },
      );
    case 'error':
      throw new SztpError('SZTP_ERR_SCRIPT_FAILED', summary, {
        evidence: { script: kind, exitCode: result.exitCode, signal: result.signal },
      });
  }
}
