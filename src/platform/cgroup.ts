/**
 * Containing child processes in a cgroup v2 (Linux ≥ 5.14 for `cgroup.kill`): each script or
 * adapter command runs in its own cgroup below the agent's, so everything it starts — including
 * helpers that left its process group with `setsid` — can be killed at once and waited for.
 * Where cgroup v2 is not mounted, not writable (no delegation, a read-only /sys) or lacks
 * `cgroup.kill`, the callers fall back to the process group, and a helper that called `setsid`
 * can then outlive its script (docs/onboarding.md, "Children").
 *
 * The child joins its cgroup before it runs anything: it is started as
 * `/bin/sh -c 'echo 0 > "$0/cgroup.procs" 2>/dev/null; exec "$@"' <cgroup> argv…`, a fixed
 * shell text with the argv passed as positional parameters (never interpreted).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const JOIN_SCRIPT = 'echo 0 > "$0/cgroup.procs" 2>/dev/null; exec "$@"';

let base: Promise<string | undefined> | undefined;

/** The agent's own cgroup v2 directory, if cgroup v2 with `cgroup.kill` is usable; cached. */
export function cgroupBase(): Promise<string | undefined> {
  base ??= findBase();
  return base;
}

async function findBase(): Promise<string | undefined> {
  // SZTP_CGROUP=off turns containment off (tests of the process-group fallback, or an operator's choice).
  if (process.env.SZTP_CGROUP === 'off') return undefined;
  try {
    const own = (await readFile('/proc/self/cgroup', 'utf8'))
      .split('\n')
      .find((l) => l.startsWith('0::'))
      ?.slice(3)
      .trim();
    if (own === undefined) return undefined;
    const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n');
    for (const line of mounts) {
      const [left, right] = line.split(' - ');
      if (right?.startsWith('cgroup2 ') !== true || left === undefined) continue;
      const mountPoint = left.split(' ')[4];
      if (mountPoint === undefined) continue;
      const dir = join(mountPoint, own);
      const probe = join(dir, `sztp-probe-${process.pid}-${randomBytes(3).toString('hex')}`);
      try {
        await mkdir(probe);
        const hasKill = await stat(join(probe, 'cgroup.kill')).then(
          () => true,
          () => false,
        );
        await rmdir(probe);
        if (hasKill) return dir;
      } catch {
        // not writable here: try the next cgroup2 mount
      }
    }
  } catch {
    // no /proc: not Linux
  }
  return undefined;
}

/** A fresh cgroup for one child (undefined: no containment available). */
export async function createChildCgroup(): Promise<string | undefined> {
  const dir = await cgroupBase();
  if (dir === undefined) return undefined;
  const path = join(dir, `sztp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(path);
    return path;
  } catch {
    return undefined;
  }
}

/** The argv that starts `argv` inside `cgroup` (the child moves itself in before exec). */
export function argvInCgroup(cgroup: string, argv: readonly string[]): string[] {
  return ['/bin/sh', '-c', JOIN_SCRIPT, cgroup, ...argv];
}

/** SIGKILLs every process in the cgroup (synchronous: also usable on the way out of the process). */
export function killCgroupSync(cgroup: string): boolean {
  try {
    writeFileSync(join(cgroup, 'cgroup.kill'), '1');
    return true;
  } catch {
    return false;
  }
}

/** Kills everything in the cgroup, waits (bounded) until it is empty, removes it. True when removed. */
export async function destroyCgroup(cgroup: string, waitMs = 2000): Promise<boolean> {
  const until = Date.now() + waitMs;
  for (;;) {
    killCgroupSync(cgroup);
    try {
      await rmdir(cgroup);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY' || Date.now() >= until) return false;
    }
    await sleep(20);
  }
}
