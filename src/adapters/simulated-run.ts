/**
 * Runs one pre/post-configuration script (RFC 8572 §5.6 steps 4 and 6) as a real process for the
 * simulated adapter, through the shared process runner (src/platform/exec.ts): the file is spawned
 * directly (no shell string), in its own process group, with the allowlisted environment of
 * src/lib/child-env.ts; a timeout
 * or abort SIGKILLs the whole group, and so does the script's exit (nothing it started stays
 * active); stdout and stderr are captured up to a bound, with a marker when output was dropped.
 * @module
 */
import { childEnv } from '../lib/child-env.ts';
import { execArgv } from '../platform/exec.ts';
import type { ScriptResult } from './router-adapter.ts';

/** Captured output per stream, in bytes; the rest is dropped and marked. */
export const MAX_SCRIPT_OUTPUT = 64 * 1024;
const TRUNCATED = '\n[output truncated]';

export interface RunProcessOptions {
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly env: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  readonly maxOutput?: number;
}

/** Spawns `file` with `args`; resolves with its exit status (never rejects for a failing script). */
export async function runProcess(
  file: string,
  args: readonly string[],
  options: RunProcessOptions,
): Promise<ScriptResult> {
  const env = childEnv(process.env, options.env);
  const r = await execArgv([file, ...args], {
    cwd: options.cwd,
    env,
    timeoutMs: options.timeoutMs,
    maxOutputBytes: options.maxOutput ?? MAX_SCRIPT_OUTPUT,
    killGraceMs: 0,
    killGroupOnExit: true,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const stdout = r.stdoutTruncated ? `${r.stdout}${TRUNCATED}` : r.stdout;
  const stderr = `${r.stderrTruncated ? `${r.stderr}${TRUNCATED}` : r.stderr}${r.spawnError === undefined ? '' : `cannot run script: ${r.spawnError}`}`;
  return { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stdout, stderr };
}
