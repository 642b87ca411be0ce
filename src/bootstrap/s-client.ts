/**
 * One HTTPS exchange through an `openssl s_client` child (the TLS helper for IDevID keys node:tls
 * cannot use, e.g. a TPM persistent handle through the tpm2 provider; docs/hardware-keys.md): the
 * argv is fixed by the caller (never a shell), the child runs in its own process group with a
 * minimal environment and is recorded for the stop backstop (src/platform/children.ts), the
 * request goes to its stdin, and the response is parsed from its stdout by ./http1.ts as it
 * arrives. The child is SIGKILLed as soon as the response is complete, when the signal aborts
 * (the exchange deadline or a stop), or when the output breaks a limit; the promise settles only
 * after the child has exited, so no helper outlives an exchange. stderr (which may name the
 * server's certificate subject) is kept bounded and is data for messages only.
 * @module
 */
import { spawn } from 'node:child_process';
import { currentBootIdSync } from '../platform/boot-id.ts';
import { childEnded, childStarted, processStartTime, type ChildRecord } from '../platform/children.ts';
import { SztpError, isSztpError } from '../errors.ts';
import { parseResponse, type HttpLimits, type ParsedResponse } from './http1.ts';

export interface HelperRun {
  /** `openssl` and its arguments. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly request: Uint8Array;
  readonly limits: HttpLimits;
  /** Aborting (exchange deadline, stop) kills the child; the rejection is an AbortError. */
  readonly signal: AbortSignal;
  /** For messages: `POST https://host:port/path`. */
  readonly where: string;
}

/** How the child ended when no complete response came back. */
export interface HelperFailure {
  readonly exitCode: number | null;
  /** The child's stderr (bounded; raw: make it inert before showing it). */
  readonly stderr: string;
  /** True when the child could not be started at all (no openssl). */
  readonly spawnFailed: boolean;
}

const STDERR_MAX = 8 * 1024;
/** After SIGKILL a child exits at once; this bounds the wait for its exit event anyway. */
const REAP_MS = 2000;

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error('aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}

/**
 * Runs the helper once. Resolves with the response, or rejects with: an AbortError (signal), an
 * SZTP_ERR_SERVER_RESPONSE (malformed or oversized output), or a {@link HelperFailure} wrapped by
 * `classify` (the child ended without a complete response).
 */
export function runHelper(run: HelperRun, classify: (f: HelperFailure) => SztpError): Promise<ParsedResponse> {
  return new Promise<ParsedResponse>((resolve, reject) => {
    const [file = 'openssl', ...args] = run.argv;
    // stdout so far, in a buffer grown by doubling (parsing after every chunk stays linear overall).
    let acc = Buffer.alloc(16 * 1024);
    let received = 0;
    let stderr = '';
    let outcome: { ok: ParsedResponse } | { err: Error } | undefined;
    let record: ChildRecord | undefined;
    let recorded: Promise<void> = Promise.resolve();
    let reapTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const child = spawn(file, args, { env: { ...run.env }, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const kill = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const settle = (): void => {
      if (settled) return;
      settled = true;
      run.signal.removeEventListener('abort', onAbort);
      clearTimeout(reapTimer);
      const ended = record;
      void recorded
        .then(() => (ended === undefined ? undefined : childEnded(ended)))
        .then(() => {
          if (outcome !== undefined && 'ok' in outcome) resolve(outcome.ok);
          else reject(outcome?.err ?? classify({ exitCode: null, stderr: '', spawnFailed: false }));
        });
    };
    /** Decides the outcome once, kills the child, and settles when it has exited (bounded). */
    const decide = (o: { ok: ParsedResponse } | { err: Error }): void => {
      if (outcome !== undefined) return;
      outcome = o;
      kill();
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      reapTimer = setTimeout(settle, REAP_MS);
    };
    const onAbort = (): void => {
      decide({ err: abortError(run.signal) });
    };
    if (child.pid !== undefined) {
      const startTime = processStartTime(child.pid);
      const bootId = currentBootIdSync();
      record = {
        pgid: child.pid,
        program: 'openssl s_client',
        startedAt: new Date().toISOString(),
        ...(startTime === undefined ? {} : { startTime }),
        ...(bootId === undefined ? {} : { bootId }),
      };
      recorded = childStarted(record);
    }
    if (run.signal.aborted) onAbort();
    else run.signal.addEventListener('abort', onAbort, { once: true });
    const feed = (ended: boolean): void => {
      if (outcome !== undefined) return;
      try {
        const r = parseResponse(acc.subarray(0, received), ended, run.limits);
        if (r.done) decide({ ok: r.response });
      } catch (err) {
        if (ended && received === 0) return; // no response at all: the exit status and stderr tell why
        decide({
          err: isSztpError(err)
            ? withWhere(err, run.where)
            : new SztpError('SZTP_ERR_SERVER_RESPONSE', `${run.where}: unreadable response`, { cause: err }),
        });
      }
    };
    child.stdout.on('data', (c: Buffer) => {
      if (received + c.length > acc.length) {
        const grown = Buffer.alloc(Math.max(acc.length * 2, received + c.length));
        acc.copy(grown, 0, 0, received);
        acc = grown;
      }
      c.copy(acc, received);
      received += c.length;
      feed(false);
    });
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < STDERR_MAX) stderr += c.toString('utf8').slice(0, STDERR_MAX - stderr.length);
    });
    child.stdin.on('error', () => undefined); // EPIPE when the child dies first: the exit tells why
    child.on('error', (e) => {
      decide({ err: classify({ exitCode: null, stderr: e.message, spawnFailed: true }) });
      settle();
    });
    child.on('close', (code) => {
      feed(true);
      decide({ err: classify({ exitCode: code, stderr, spawnFailed: false }) });
      settle();
    });
    child.stdin.end(Buffer.from(run.request));
  });
}

function withWhere(err: SztpError, where: string): SztpError {
  return new SztpError(err.code, `${where}: ${err.message}`, {
    cause: err,
    evidence: { ...err.evidence, where },
  });
}
