/**
 * What lives under `[Agent] state_dir`, named in one place: the state file, the lock, the router
 * adapter's work files, RFC 9646 CSR keys, downloaded boot images and the temporary directories of
 * running pre/post-configuration scripts. `sztp-agent reset` clears what this says it clears.
 * @module
 */
import { join } from 'node:path';

export interface StateLayout {
  readonly dir: string;
  /** The JSON state (src/state/store.ts); set aside as `state.json.corrupt-<time>` when unreadable. */
  readonly stateFile: string;
  /** The last good state, written after every `stateFile` write (src/state/store.ts). */
  readonly stateBackupFile: string;
  /** Held (flock) by every process during a read-modify-write of the state (src/state/store.ts). */
  readonly stateLockFile: string;
  /** One agent per state_dir, a flock(2) lock (src/platform/lock.ts). */
  readonly lockFile: string;
  /** The router adapter's work directory (snapshots, command output). */
  readonly adapterDir: string;
  /** Keys generated for RFC 9646 CSRs (the LDevID key). */
  readonly csrDir: string;
  /** Verified boot images, `<sha256>.img`. */
  readonly imagesDir: string;
  /** Prefix of the `mkdtemp` directory of a running script. */
  scriptDirPrefix(kind: 'pre' | 'post'): string;
  /** Folders `reset` removes (RFC 9646 X-09: CSR keys go with the factory reset); the state file is rewritten. */
  readonly clearedOnReset: readonly string[];
}

/** Names of script directories left by an interrupted run (`pre-script-XXXXXX`). */
export const SCRIPT_DIR_NAME = /^(pre|post)-script-[A-Za-z0-9]{6}$/;

export function stateLayout(stateDir: string): StateLayout {
  const adapterDir = join(stateDir, 'adapter');
  const csrDir = join(stateDir, 'csr');
  return {
    dir: stateDir,
    stateFile: join(stateDir, 'state.json'),
    stateBackupFile: join(stateDir, 'state.json.bak'),
    stateLockFile: join(stateDir, 'state.lock'),
    lockFile: join(stateDir, 'agent.lock'),
    adapterDir,
    csrDir,
    imagesDir: join(stateDir, 'images'),
    scriptDirPrefix: (kind) => join(stateDir, `${kind}-script-`),
    clearedOnReset: [adapterDir, csrDir],
  };
}
