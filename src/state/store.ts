/**
 * The JSON state store (one `state.json` in state_dir): atomic writes (temp, fsync, rename,
 * fsync dir), mode 0600, a schema version, updates serialised within the process and re-read
 * from disk each time (so `secure-mode` from another process is not lost). A file that cannot be
 * parsed is set aside as `state.json.corrupt-<time>` (SZTP_ERR_STATE_CORRUPT logged) and a fresh
 * factory-default state is used; a newer schema version is refused (SZTP_ERR_STATE_SCHEMA).
 * @module
 */
import { mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SztpError } from '../errors.ts';
import { writeFileAtomic } from '../platform/fs-atomic.ts';
import { processAlive } from '../platform/lock.ts';
import { boundEvents, checkShape, initialState } from './machine.ts';
import type { AgentState, StateStore } from './types.ts';

export const STATE_FILE = 'state.json';

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
  const path = join(options.dir, STATE_FILE);
  const now = options.now ?? (() => new Date());
  let queue: Promise<unknown> = Promise.resolve();

  const read = async (): Promise<AgentState> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return initialState();
      throw new SztpError('SZTP_ERR_STATE_CORRUPT', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
    let doc: unknown;
    let reason: string;
    try {
      doc = JSON.parse(text);
      const checked = checkShape(doc);
      if (checked.ok) return checked.state;
      if (checked.schema !== undefined) {
        throw new SztpError('SZTP_ERR_STATE_SCHEMA', `${path} has schema version ${checked.schema}; this agent supports ${initialState().schemaVersion}`);
      }
      reason = checked.reason;
    } catch (err) {
      if (err instanceof SztpError) throw err;
      reason = (err as Error).message;
    }
    const aside = `${path}.corrupt-${now().toISOString().replace(/[:.]/g, '-')}`;
    await rename(path, aside).catch(() => undefined);
    options.log.error({ code: 'SZTP_ERR_STATE_CORRUPT', path, aside, reason }, 'state file is corrupt; set aside, starting from factory-default state');
    return initialState();
  };

  let swept = false;
  const write = async (state: AgentState): Promise<void> => {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    if (!swept) {
      swept = true;
      await sweepTemps(options.dir);
    }
    await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, 0o600);
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
      serialised(async () => {
        const next = boundEvents({ ...change(await read()), updatedAt: now().toISOString() });
        await write(next);
        return next;
      }),
    reset: () =>
      serialised(async () => {
        const next = { ...initialState(), updatedAt: now().toISOString() };
        await write(next);
        return next;
      }),
  };
}

/** Removes temp files left by writers that were killed mid-write (their process is gone). */
async function sweepTemps(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const m = /^\.state\.json\.tmp-(\d+)-/.exec(name);
    if (m?.[1] === undefined) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && !processAlive(pid)) await unlink(join(dir, name)).catch(() => undefined);
  }
}
