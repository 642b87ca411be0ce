/**
 * Process execution for the adapters (command templates, scripts of the simulated router): runs
 * one argv (never through a shell) in its own process group, enforces a timeout by killing the
 * whole group (SIGTERM, then SIGKILL after a grace period; a grace of 0 means SIGKILL at once),
 * keeps a bounded tail of stdout/stderr, and can stream stdout to a file (snapshots). Never
 * rejects: spawn failures (missing binary) are reported as `spawnError`.
 *
 * Every wait is bounded: once the process exited (or was killed for a timeout or an abort), the
 * output pipes get `PIPE_GRACE_MS` to reach EOF; a helper that keeps them open (`setsid cmd &`)
 * no longer holds the caller. With `killGroupOnExit`, the child also runs in its own cgroup v2
 * where available (./cgroup.ts), and everything left in it is killed on exit. Each child is
 * recorded while it runs (./children.ts) so a restarted agent can reap what a dead one left.
 * @module
 */
import { spawn } from 'node:child_process';
import { access, constants as fsConstants, createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { errnoOf } from '../lib/error-info.ts';
import { currentBootIdSync } from './boot-id.ts';
import { argvInCgroup, createChildCgroup, destroyCgroup, killCgroupSync } from './cgroup.ts';
import { childEnded, childStarted, processStartTime, type ChildRecord } from './children.ts';

/** How long the output pipes may stay open after the process exited or was killed. */
export const PIPE_GRACE_MS = 500;

export interface ExecOptions {
  readonly timeoutMs: number;
  /** Complete environment of the child. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** When set, stdout is written to this file (mode 0600) instead of being captured. */
  readonly stdoutFile?: string;
  /** Bytes of stdout/stderr kept (the tail). Default 64 KiB. */
  readonly maxOutputBytes?: number;
  /** Aborting kills the process group like a timeout. */
  readonly signal?: AbortSignal;
  /** Grace period between SIGTERM and SIGKILL. Default 2000 ms; 0: SIGKILL at once. */
  readonly killGraceMs?: number;
  /**
   * Kill what is left of the process group when the leader exits (scripts that background a
   * process must not leave it active, RFC 8572 §5.6, nor hold the output pipes open). Such a
   * child runs in its own cgroup v2 when one is available, which also catches `setsid` helpers.
   */
  readonly killGroupOnExit?: boolean;
  /** Wait for pipe EOF after the exit at most this long (default PIPE_GRACE_MS). */
  readonly pipeGraceMs?: number;
}

export interface ExecResult {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** True when output beyond `maxOutputBytes` was dropped from that stream (its tail is kept). */
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  /** Set when the process could not be started (e.g. ENOENT) or the stdout file failed. */
  readonly spawnError?: string;
  /** The errno code of a failed start (`ENOENT`: no such program, `EACCES`: not executable), when Node gave one. */
  readonly spawnErrorCode?: string;
  readonly durationMs: number;
}

/** Keeps the last `max` bytes written to it. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 0) {
      const first = this.chunks[0];
      if (first === undefined) break;
      const excess = this.size - this.max;
      this.truncated = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // The group is already gone.
  }
}

/** True when `file` names a path that is not executable (the wrapper would hide the spawn error). */
function missingPath(file: string): Promise<boolean> {
  if (!file.includes('/')) return Promise.resolve(false);
  return new Promise((resolve) => {
    access(file, fsConstants.X_OK, (err) => {
      resolve(err !== null);
    });
  });
}

/** Runs `argv[0]` with `argv.slice(1)`; resolves when the process has exited and output is flushed (bounded). */
export async function execArgv(argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
  const [file] = argv;
  if (file === undefined || file === '') {
    return {
      argv,
      exitCode: null,
      signal: null,
      timedOut: false,
      aborted: false,
      stdout: '',
      stderr: '',
      stdoutTruncated: false,
      stderrTruncated: false,
      spawnError: 'empty command',
      durationMs: 0,
    };
  }
  const cgroup = options.killGroupOnExit === true && !(await missingPath(file)) ? await createChildCgroup() : undefined;
  try {
    return await run(argv, cgroup === undefined ? argv : argvInCgroup(cgroup, argv), cgroup, options);
  } finally {
    if (cgroup !== undefined) await destroyCgroup(cgroup);
  }
}

function run(
  argv: readonly string[],
  spawnArgv: readonly string[],
  cgroup: string | undefined,
  options: ExecOptions,
): Promise<ExecResult> {
  const started = Date.now();
  const max = options.maxOutputBytes ?? 64 * 1024;
  const out = new TailBuffer(max);
  const err = new TailBuffer(max);
  const [file = '', ...args] = spawnArgv;
  return new Promise<ExecResult>((resolve) => {
    let timedOut = false;
    let aborted = false;
    let fileStream: WriteStream | undefined;
    let fileError: string | undefined;
    let finished = false;
    let record: ChildRecord | undefined;
    let recorded: Promise<void> = Promise.resolve();
    const timers: { main?: NodeJS.Timeout; kill?: NodeJS.Timeout; pipes?: NodeJS.Timeout } = {};
    const finish = (
      exitCode: number | null,
      signal: string | null,
      spawnError?: string,
      spawnErrorCode?: string,
    ): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timers.main);
      clearTimeout(timers.kill);
      clearTimeout(timers.pipes);
      if (options.signal !== undefined) options.signal.removeEventListener('abort', onAbort);
      const done = (): void => {
        const failure = spawnError ?? fileError;
        const result: ExecResult = {
          argv,
          exitCode,
          signal,
          timedOut,
          aborted,
          stdout: out.text(),
          stderr: err.text(),
          stdoutTruncated: out.truncated,
          stderrTruncated: err.truncated,
          ...(failure === undefined ? {} : { spawnError: failure }),
          ...(spawnErrorCode === undefined ? {} : { spawnErrorCode }),
          durationMs: Date.now() - started,
        };
        const ended = record;
        void recorded
          .then(() => (ended === undefined ? undefined : childEnded(ended)))
          .then(() => {
            resolve(result);
          });
      };
      if (fileStream === undefined || fileStream.closed) done();
      else fileStream.end(done);
    };
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...options.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) {
      record = {
        pgid: child.pid,
        program: argv[0] ?? '',
        startedAt: new Date().toISOString(),
        ...optional('startTime', processStartTime(child.pid)),
        ...optional('cgroup', cgroup),
        ...optional('bootId', currentBootIdSync()),
      };
      recorded = childStarted(record);
    }
    const killAll = (sig: NodeJS.Signals): void => {
      if (cgroup !== undefined && sig === 'SIGKILL') killCgroupSync(cgroup);
      killGroup(child.pid, sig);
    };
    const terminate = (): void => {
      const grace = options.killGraceMs ?? 2000;
      if (grace <= 0) {
        killAll('SIGKILL');
        return;
      }
      killGroup(child.pid, 'SIGTERM');
      timers.kill = setTimeout(() => {
        killAll('SIGKILL');
      }, grace);
    };
    timers.main = setTimeout(() => {
      timedOut = true;
      terminate();
    }, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      terminate();
    };
    if (options.signal?.aborted === true) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.stdoutFile !== undefined) {
      fileStream = createWriteStream(options.stdoutFile, { mode: 0o600 });
      fileStream.on('error', (e) => {
        fileError = `cannot write ${options.stdoutFile ?? ''}: ${e.message}`;
      });
      child.stdout.pipe(fileStream);
    } else {
      child.stdout.on('data', (c: Buffer) => {
        out.push(c);
      });
    }
    child.stderr.on('data', (c: Buffer) => {
      err.push(c);
    });
    child.on('error', (e) => {
      finish(null, null, e.message, errnoOf(e));
    });
    let status: { code: number | null; sig: string | null } | undefined;
    child.on('exit', (code, sig) => {
      status = { code, sig };
      clearTimeout(timers.main);
      if (options.killGroupOnExit === true) killAll('SIGKILL');
      // A helper outside the group (setsid) may hold the pipes: stop waiting for EOF after a grace.
      timers.pipes = setTimeout(() => {
        if (timedOut || aborted) killAll('SIGKILL');
        child.stdout.unpipe();
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, sig);
      }, options.pipeGraceMs ?? PIPE_GRACE_MS);
    });
    child.on('close', (code, sig) => {
      // Members of the group that outlived the leader (e.g. backgrounded by a script) are not ours to keep.
      if (timedOut || aborted) killAll('SIGKILL');
      finish(status?.code ?? code, status?.sig ?? sig);
    });
  });
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
