/**
 * The state-directory lock: one agent process per state_dir. The lock file holds the owner's
 * pid and the kernel boot id; a lock whose process no longer exists, or that was written in an
 * earlier boot (its pid may have been reused), is stale and is taken over. A live owner gives
 * SZTP_ERR_STATE_LOCKED.
 * @module
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SztpError } from '../errors.ts';

export const LOCK_FILE = 'agent.lock';
const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

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
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock in `stateDir` (which must exist). */
export async function acquireLock(stateDir: string): Promise<StateLock> {
  const path = join(stateDir, LOCK_FILE);
  const bootId = await currentBootId();
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n${bootId === undefined ? '' : `${bootId}\n`}`);
      await fh.close();
      return { path, release: () => releaseLock(path) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SztpError('SZTP_ERR_STATE_WRITE', `cannot create lock ${path}: ${(err as Error).message}`, { cause: err });
      }
    }
    const owner = await readOwner(path);
    // A lock written in an earlier boot is stale whatever its pid: after a power loss or reboot
    // the pid may belong to an unrelated process now (a router's boot order repeats its pids).
    if (owner !== undefined && owner !== process.pid && processAlive(owner) && !(await writtenInEarlierBoot(path))) {
      throw new SztpError('SZTP_ERR_STATE_LOCKED', `state directory ${stateDir} is locked by process ${owner}`, { evidence: { pid: owner, lock: path } });
    }
    if (owner === undefined && (await youngerThan(path, 5000))) {
      // Another process is between creating the file and writing its pid.
      throw new SztpError('SZTP_ERR_STATE_LOCKED', `state directory ${stateDir} is being locked by another process`, { evidence: { lock: path } });
    }
    // Stale (owner gone, unreadable or our own pid from a previous life): take it over.
    await unlink(path).catch(() => undefined);
  }
  throw new SztpError('SZTP_ERR_STATE_LOCKED', `cannot take the lock ${path}`);
}

async function readOwner(path: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The kernel's id of the current boot (Linux); undefined elsewhere. */
export async function currentBootId(): Promise<string | undefined> {
  try {
    const id = (await readFile(BOOT_ID_FILE, 'utf8')).trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}

/** True when the lock records a boot id that is not the current one (no id recorded: unknown, false). */
async function writtenInEarlierBoot(path: string): Promise<boolean> {
  const now = await currentBootId();
  if (now === undefined) return false;
  try {
    const recorded = (await readFile(path, 'utf8')).split('\n')[1]?.trim();
    return recorded !== undefined && recorded !== '' && recorded !== now;
  } catch {
    return false;
  }
}

async function youngerThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs < ms;
  } catch {
    return false;
  }
}

async function releaseLock(path: string): Promise<void> {
  if ((await readOwner(path)) === process.pid) await unlink(path).catch(() => undefined);
}
