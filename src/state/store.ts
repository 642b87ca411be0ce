/**
 * The JSON state store (one `state.json` in state_dir): atomic writes (temp, fsync, rename,
 * fsync dir), mode 0600, a schema version, updates serialised within the process and re-read
 * from disk each time under a cross-process lock (`state.lock`, flock), so a change by
 * `secure-mode` or another process is never lost.
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
import { mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SztpError } from '../errors.ts';
import { flockFile } from '../platform/flock.ts';
import { isErrno, messageOf } from '../lib/error-info.ts';
import { writeFileAtomic } from '../lib/fs-atomic.ts';
import { stateLayout } from '../lib/state-layout.ts';
import { processAlive } from '../platform/lock.ts';
import { boundEvents, checkShape, initialState } from './machine.ts';
import type { AgentState, StateStore } from './types.ts';

/** How long a read-modify-write waits for `state.lock` held by another process. */
const STATE_LOCK_WAIT_MS = 10_000;

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
    await writeFileAtomic(path, text, 0o600);
    // The same content again as the backup: a separate inode, so truncating or corrupting one file
    // never takes the other with it. A crash between the two leaves the backup one write behind.
    await writeFileAtomic(backup, text, 0o600);
  };

  /**
   * Every read-modify-write holds `state.lock` (flock(2)) across processes: the daemon, `secure-mode`
   * and `reset` never lose each other's change (the in-process queue alone did not cover the CLI).
   */
  const locked = async <T>(task: () => Promise<T>): Promise<T> => {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const handle = await flockFile(layout.stateLockFile, { waitMs: STATE_LOCK_WAIT_MS });
    if (handle === undefined) {
      throw new SztpError(
        'SZTP_ERR_STATE_LOCKED',
        `the state file in ${options.dir} stayed locked by another process for ${STATE_LOCK_WAIT_MS} ms`,
      );
    }
    try {
      return await task();
    } finally {
      await handle.close();
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
          const next = boundEvents({ ...change(await read()), updatedAt: now().toISOString() });
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
