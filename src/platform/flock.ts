/**
 * flock(2) advisory locks for Node, which has no flock call: the agent opens the lock file itself
 * and hands the descriptor to the `flock` utility (util-linux; busybox has it too) as fd 3. The
 * utility locks it and exits at once. An flock lock belongs to the open file description, which
 * the agent's descriptor still refers to, so the lock stays held by the agent until it closes the
 * file or dies: a SIGKILL or a power cut releases it, there is no stale lock to take over, and two
 * agents starting at the same moment cannot both get it (the kernel decides).
 *
 * The lock file is never unlinked (unlinking a flock file lets a second process lock a new inode
 * under the same name).
 * @module
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { SztpError } from '../errors.ts';

export interface FlockOptions {
  /** Undefined: fail at once when held; a number: wait up to this many ms. */
  readonly waitMs?: number;
}

/** The `flock` program (util-linux, or busybox). */
const FLOCK = 'flock';

function runFlock(
  fd: number,
  waitMs: number | undefined,
): Promise<{ code: number | null; error?: NodeJS.ErrnoException }> {
  const args = waitMs === undefined ? ['--nonblock', '3'] : ['--wait', String(Math.max(0.001, waitMs / 1000)), '3'];
  return new Promise((resolve) => {
    const child = spawn(FLOCK, args, { stdio: ['ignore', 'ignore', 'ignore', fd] });
    child.on('error', (error: NodeJS.ErrnoException) => {
      resolve({ code: null, error });
    });
    child.on('exit', (code) => {
      resolve({ code });
    });
  });
}

/**
 * Opens (creating, mode 0600) and locks `path` exclusively. Resolves the open handle holding the
 * lock, or undefined when another process holds it (after `waitMs`, if given). Throws
 * SZTP_ERR_STATE_LOCKED when the lock cannot be attempted at all (no `flock` utility).
 */
export async function flockFile(path: string, o: FlockOptions = {}): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    throw new SztpError('SZTP_ERR_STATE_WRITE', `cannot open the lock file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const r = await runFlock(handle.fd, o.waitMs);
  if (r.code === 0) return handle;
  await handle.close();
  if (r.error !== undefined) {
    throw new SztpError(
      'SZTP_ERR_STATE_LOCKED',
      `cannot lock ${path}: the flock utility could not be run (${r.error.code ?? r.error.message}); install util-linux or busybox flock`,
      { cause: r.error },
    );
  }
  return undefined;
}
