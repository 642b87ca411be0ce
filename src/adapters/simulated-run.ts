/**
 * Runs one pre/post-configuration script (RFC 8572 §5.6 steps 4 and 6) as a real process for the
 * simulated adapter: the file is spawned directly (no shell string), in its own process group,
 * with an allowlisted environment; a timeout or abort kills the whole group; stdout and stderr
 * are captured up to a bound.
 * @module
 */
import { spawn } from 'node:child_process';
import type { ScriptResult } from './router-adapter.ts';

/** Captured output per stream, in bytes; the rest is dropped and marked. */
export const MAX_SCRIPT_OUTPUT = 64 * 1024;
/** Variables passed through from the agent's environment; everything else is withheld. */
const ENV_ALLOWLIST = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'HOME', 'TMPDIR'] as const;

export interface RunProcessOptions {
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly env: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  readonly maxOutput?: number;
}

class Bounded {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    const room = this.max - this.size;
    if (room <= 0) {
      this.dropped = true;
      return;
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length < chunk.length) this.dropped = true;
    this.chunks.push(part);
    this.size += part.length;
  }
  text(): string {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped ? `${s}\n[output truncated]` : s;
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

/** Spawns `file` with `args`; resolves with its exit status (never rejects for a failing script). */
export function runProcess(file: string, args: readonly string[], options: RunProcessOptions): Promise<ScriptResult> {
  const env: Record<string, string> = {};
  for (const k of ENV_ALLOWLIST) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  Object.assign(env, options.env);
  const max = options.maxOutput ?? MAX_SCRIPT_OUTPUT;
  const out = new Bounded(max);
  const err = new Bounded(max);
  return new Promise((resolvePromise) => {
    let timedOut = false;
    let settled = false;
    const child = spawn(file, [...args], { cwd: options.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    const onAbort = (): void => {
      killGroup(child.pid);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => {
      out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      err.push(c);
    });
    const finish = (exitCode: number | null, signal: string | null, extra = ''): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolvePromise({ exitCode, signal, timedOut, stdout: out.text(), stderr: err.text() + extra });
    };
    child.on('error', (e) => {
      finish(null, null, `cannot run script: ${e.message}`);
    });
    let status: { code: number | null; sig: string | null } | undefined;
    child.on('exit', (code, sig) => {
      status = { code, sig };
      // Kill what the script left behind in its group so its pipes close (nothing stays active).
      killGroup(child.pid);
    });
    child.on('close', (code, sig) => {
      finish(status?.code ?? code, status?.sig ?? sig);
    });
  });
}
