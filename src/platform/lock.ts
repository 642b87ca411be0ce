/**
 * The state-directory lock: one agent process per state_dir. `agent.lock` is held with flock(2)
 * (./flock.ts) for the life of the process: the kernel releases it when the process ends, however
 * it ends, so there is no stale lock and no takeover race (two agents starting at the same moment
 * over a lock left by a killed one cannot both hold it). The file also names the holder (pid and
 * kernel boot id) for the error message and for operators; that text is informational only.
 * A held lock gives SZTP_ERR_STATE_LOCKED.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { currentBootIdSync } from './boot-id.ts';
import { SztpError } from '../errors.ts';
import { isErrno } from '../lib/error-info.ts';
import { stateLayout } from '../lib/state-layout.ts';
import { flockFile } from './flock.ts';

export interface StateLock {
  readonly path: string;
  release(): Promise<void>;
}

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}

/** Takes the lock in `stateDir` (which must exist); SZTP_ERR_STATE_LOCKED when another process holds it. */
export async function acquireLock(stateDir: string): Promise<StateLock> {
  const path = stateLayout(stateDir).lockFile;
  const handle = await flockFile(path);
  if (handle === undefined) {
    const owner = (await readFile(path, 'utf8').catch(() => '')).split('\n')[0]?.trim();
    throw new SztpError(
      'SZTP_ERR_STATE_LOCKED',
      `state directory ${stateDir} is locked by ${owner === undefined || owner === '' ? 'another process' : `process ${owner}`}`,
      { evidence: { lock: path, ...(owner === undefined || owner === '' ? {} : { pid: Number(owner) }) } },
    );
  }
  try {
    const bootId = currentBootIdSync();
    await handle.truncate(0);
    await handle.write(`${process.pid}\n${bootId === undefined ? '' : `${bootId}\n`}`, 0);
  } catch {
    // The owner text is informational; the flock is what counts.
  }
  let released = false;
  return {
    path,
    release: async () => {
      if (released) return;
      released = true;
      await handle.truncate(0).catch(() => undefined);
      await handle.close();
    },
  };
}
