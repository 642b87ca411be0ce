/**
 * The JSON state store (one `state.json` in state_dir): atomic writes (temp, fsync, rename,
 * fsync dir), mode 0600, a schema version, updates serialised within the process and re-read
 * from disk each time under a cross-process lock (`state.lock`, flock), so a change by
 * `secure-mode` or another process is never lost. The lock stays held for a moment after an
 * update ({@link STATE_LOCK_LINGER_MS}) so that a burst of updates takes it once.
 *
 * The last good state is kept as a second file, `state.json.bak`: each write replaces
 * `state.json`, then the backup, with the same content (two atomic writes). A `state.json` that
 * cannot be parsed is set aside as `state.json.corrupt-<time>` and the backup is used
 * (SZTP_ERR_STATE_CORRUPT logged). When both are unreadable the store refuses with SZTP_ERR_STATE_CORRUPT, telling the operator to run
 * `sztp-agent reset`: it never falls back to factory-default on its own (a provisioned device
 * whose operator disabled secure ZTP must not run ZTP again). A newer schema version is refused
 * (SZTP_ERR_STATE_SCHEMA).
 * @module
 */
import { mkdir, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SztpError } from '../errors.ts';
import { flockFile } from '../platform/flock.ts';
import { isErrno, messageOf } from '../lib/error-info.ts';
import { writeFileAtomicSync } from '../lib/fs-atomic.ts';
import { stateLayout } from '../lib/state-layout.ts';
import { processAlive } from '../platform/lock.ts';
import { boundEvents, checkShape, initialState } from './machine.ts';
import type { AgentState, StateStore } from './types.ts';

/** How long a read-modify-write waits for `state.lock` held by another process. */
const STATE_LOCK_WAIT_MS = 10_000;
/**
 * How long `state.lock` stays held after an update for the next one of a burst: an onboarding
 * writes the state some 30 times in well under a second, and each flock costs a process start
 * (src/platform/flock.ts). Another process waits at most this long more (issue 15).
 */
export const STATE_LOCK_LINGER_MS = 200;
/** A burst holds `state.lock` this long at most, then lets a waiting process in (a daemon retrying fast never starves `secure-mode`). */
export const STATE_LOCK_MAX_HOLD_MS = 500;

export interface StateStoreOptions {
  readonly dir: string;
  readonly log: Logger;
  readonly now?: () => Date;
}

export interface FileStateStore extends StateStore {
  readonly path: string;
  /** Replaces the state with the factory-default one (`sztp-agent reset`). */
  reset(): Promise<AgentState>;
}

/** Creates the store; the directory is created (0700) on the first write. */
export function createStateStore(options: StateStoreOptions): FileStateStore {
  const layout = stateLayout(options.dir);
  const path = layout.stateFile;
  const backup = layout.stateBackupFile;
  const now = options.now ?? (() => new Date());
  let queue: Promise<unknown> = Promise.resolve();

  /** Parses one file: the state, 'absent', or the reason it is unusable. */
  const parse = async (file: string): Promise<AgentState | 'absent' | { readonly reason: string }> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return 'absent';
      return { reason: messageOf(err) };
    }
    try {
      const checked = checkShape(JSON.parse(text));
      if (checked.ok) return checked.state;
      if (checked.schema !== undefined) {
        throw new SztpError(
          'SZTP_ERR_STATE_SCHEMA',
          `${file} has schema version ${checked.schema}; this agent supports ${initialState().schemaVersion}`,
        );
      }
      return { reason: checked.reason };
    } catch (err) {
      if (err instanceof SztpError) throw err;
      return { reason: messageOf(err) };
    }
  };

  const read = async (): Promise<AgentState> => {
    const main = await parse(path);
    if (typeof main === 'object' && !('reason' in main)) return main;
    const fallback = await parse(backup);
    // Neither file: a fresh device. state.json alone missing (deleted by hand, or lost by the file
    // system): the backup is the last good state.
    if (main === 'absent' && fallback === 'absent') return initialState();
    if (fallback === 'absent' || 'reason' in fallback) {
      const mainText = main === 'absent' ? 'is missing' : `is unreadable (${main.reason})`;
      throw new SztpError(
        'SZTP_ERR_STATE_CORRUPT',
        `${path} ${mainText} and so is its backup ${backup}${fallback === 'absent' ? ' (absent)' : ` (${fallback.reason})`}; ` +
          'refusing to guess the device state: run `sztp-agent reset` to return to factory defaults',
        { evidence: { path, backup, reason: main === 'absent' ? 'missing' : main.reason } },
      );
    }
    if (main === 'absent') return fallback;
    const aside = `${path}.corrupt-${now().toISOString().replace(/[:.]/g, '-')}`;
    await rename(path, aside).catch(() => undefined);
    options.log.error(
      { code: 'SZTP_ERR_STATE_CORRUPT', path, aside, reason: main.reason },
      'state file is corrupt; set aside, using the last good state from the backup',
    );
    return fallback;
  };

  let swept = false;
  const write = async (state: AgentState): Promise<void> => {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    if (!swept) {
      swept = true;
      await sweepTemps(options.dir);
    }
    const text = `${JSON.stringify(state, null, 2)}\n`;
    lastWritten = undefined;
    writeFileAtomicSync(path, text, 0o600);
    // The same content again as the backup: a separate inode, so truncating or corrupting one file
    // never takes the other with it. A crash between the two leaves the backup one write behind.
    writeFileAtomicSync(backup, text, 0o600);
    lastWritten = structuredClone(state);
  };

  /**
   * Every read-modify-write holds `state.lock` (flock(2)) across processes: the daemon, `secure-mode`
   * and `reset` never lose each other's change (the in-process queue alone did not cover the CLI).
   */
  let held: { readonly handle: FileHandle; readonly since: number; readonly release: NodeJS.Timeout } | undefined;
  /**
   * What this process last wrote, while it has held the lock ever since: no other process can have
   * written after it, so the next update of the burst starts from it instead of re-reading both files.
   */
  let lastWritten: AgentState | undefined;
  const locked = async <T>(task: () => Promise<T>): Promise<T> => {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    let handle = held?.handle;
    let since = held?.since ?? Date.now();
    if (held !== undefined) clearTimeout(held.release);
    else lastWritten = undefined;
    held = undefined;
    if (handle === undefined) {
      handle = await flockFile(layout.stateLockFile, { waitMs: STATE_LOCK_WAIT_MS });
      since = Date.now();
    }
    if (handle === undefined) {
      throw new SztpError(
        'SZTP_ERR_STATE_LOCKED',
        `the state file in ${options.dir} stayed locked by another process for ${STATE_LOCK_WAIT_MS} ms`,
      );
    }
    const mine = handle;
    try {
      return await task();
    } finally {
      // Kept for the next update of a burst; closed (unlocked) when none comes or the burst has held
      // it long enough. Not keeping the process alive: at exit the kernel releases the lock.
      const unlock = (): void => {
        if (held?.handle === mine) held = undefined;
        lastWritten = undefined;
        // Closing releases the lock; a failure to close leaves nothing to do (the kernel releases it at exit).
        mine.close().catch(() => undefined);
      };
      if (Date.now() - since >= STATE_LOCK_MAX_HOLD_MS) unlock();
      else {
        const release = setTimeout(unlock, STATE_LOCK_LINGER_MS);
        release.unref();
        held = { handle: mine, since, release };
      }
    }
  };

  const serialised = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    path,
    read: () => serialised(read),
    update: (change) =>
      serialised(() =>
        locked(async () => {
          const current = lastWritten === undefined ? await read() : structuredClone(lastWritten);
          const next = boundEvents({ ...change(current), updatedAt: now().toISOString() });
          await write(next);
          return next;
        }),
      ),
    reset: () =>
      serialised(() =>
        locked(async () => {
          const next = { ...initialState(), updatedAt: now().toISOString() };
          await write(next);
          return next;
        }),
      ),
  };
}

/** Removes temp files left by writers that were killed mid-write (their process is gone). */
async function sweepTemps(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const m = /^\.state\.json(?:\.bak)?\.tmp-(\d+)-/.exec(name);
    if (m?.[1] === undefined) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && !processAlive(pid)) await unlink(join(dir, name)).catch(() => undefined);
  }
}
