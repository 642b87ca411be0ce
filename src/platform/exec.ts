/**
 * Process execution for the adapters (command templates, scripts of the simulated router): runs
 * one argv (never through a shell) in its own process group, enforces a timeout by killing the
 * whole group (SIGTERM, then SIGKILL after a grace period; a grace of 0 means SIGKILL at once),
 * keeps a bounded tail of stdout/stderr, and can stream stdout to a file (snapshots). Never
 * rejects: spawn failures (missing binary) are reported as `spawnError`.
 * @module
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';

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
   * process must not leave it active, RFC 8572 §5.6, nor hold the output pipes open).
   */
  readonly killGroupOnExit?: boolean;
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

/** Runs `argv[0]` with `argv.slice(1)`; resolves when the process has exited and output is flushed. */
export function execArgv(argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
  const started = Date.now();
  const max = options.maxOutputBytes ?? 64 * 1024;
  const out = new TailBuffer(max);
  const err = new TailBuffer(max);
  const [file, ...args] = argv;
  return new Promise<ExecResult>((resolve) => {
    let timedOut = false;
    let aborted = false;
    let fileStream: WriteStream | undefined;
    let fileError: string | undefined;
    let finished = false;
    const timers: { main?: NodeJS.Timeout; kill?: NodeJS.Timeout } = {};
    const finish = (exitCode: number | null, signal: string | null, spawnError?: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timers.main);
      clearTimeout(timers.kill);
      if (options.signal !== undefined) options.signal.removeEventListener('abort', onAbort);
      const done = (): void => {
        const failure = spawnError ?? fileError;
        resolve({
          argv, exitCode, signal, timedOut, aborted, stdout: out.text(), stderr: err.text(), stdoutTruncated: out.truncated, stderrTruncated: err.truncated,
          ...(failure === undefined ? {} : { spawnError: failure }), durationMs: Date.now() - started,
        });
      };
      if (fileStream === undefined || fileStream.closed) done();
      else fileStream.end(done);
    };
    if (file === undefined || file === '') {
      resolve({ argv, exitCode: null, signal: null, timedOut: false, aborted: false, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false,
        spawnError: 'empty command', durationMs: 0 });
      return;
    }
    const child = spawn(file, args, {
      cwd: options.cwd, env: { ...options.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const terminate = (): void => {
      const grace = options.killGraceMs ?? 2000;
      if (grace <= 0) {
        killGroup(child.pid, 'SIGKILL');
        return;
      }
      killGroup(child.pid, 'SIGTERM');
      timers.kill = setTimeout(() => { killGroup(child.pid, 'SIGKILL'); }, grace);
    };
    timers.main = setTimeout(() => { timedOut = true; terminate(); }, options.timeoutMs);
    const onAbort = (): void => { aborted = true; terminate(); };
    if (options.signal?.aborted === true) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.stdoutFile !== undefined) {
      fileStream = createWriteStream(options.stdoutFile, { mode: 0o600 });
      fileStream.on('error', (e) => { fileError = `cannot write ${options.stdoutFile ?? ''}: ${e.message}`; });
      child.stdout.pipe(fileStream);
    } else {
      child.stdout.on('data', (c: Buffer) => { out.push(c); });
    }
    child.stderr.on('data', (c: Buffer) => { err.push(c); });
    child.on('error', (e) => { finish(null, null, e.message); });
    let status: { code: number | null; sig: string | null } | undefined;
    child.on('exit', (code, sig) => {
      status = { code, sig };
      if (options.killGroupOnExit === true) killGroup(child.pid, 'SIGKILL');
    });
    child.on('close', (code, sig) => {
      // Members of the group that outlived the leader (e.g. backgrounded by a script) are not ours to keep.
      if (timedOut || aborted) killGroup(child.pid, 'SIGKILL');
      finish(status?.code ?? code, status?.sig ?? sig);
    });
  });
}
