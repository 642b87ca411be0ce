/**
 * Children of the agent that may outlive it (scripts and adapter commands run in their own
 * process group, so a SIGKILL of the agent does not reach them). While a child runs, its record —
 * process group, the leader's start time, its cgroup and the kernel boot id — is kept in memory
 * and, through the journal the daemon installs, in the state file. On the next start the daemon
 * reaps what a dead agent left behind before it resumes anything: the same step is never run
 * twice at the same time. On a forced exit the live children are killed synchronously.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { destroyCgroup, killCgroupSync } from './cgroup.ts';

export interface ChildRecord {
  /** Process group id (= the leader's pid). */
  readonly pgid: number;
  /** The leader's start time in clock ticks since boot (/proc/<pid>/stat field 22): tells a reused pid apart. */
  readonly startTime?: string;
  /** The child's cgroup v2 directory, when contained. */
  readonly cgroup?: string;
  /** Kernel boot id when the child started: a record of an earlier boot names nothing alive. */
  readonly bootId?: string;
  /** Program name, for logs only. */
  readonly program: string;
  readonly startedAt: string;
}

/** Where records are persisted (the daemon installs one backed by the state store). */
export interface ChildJournal {
  add(record: ChildRecord): Promise<void>;
  remove(record: ChildRecord): Promise<void>;
}

const live = new Map<number, ChildRecord>();
let journal: ChildJournal | undefined;

/** Installs (or, with undefined, removes) the persistent journal of children. */
export function setChildJournal(j: ChildJournal | undefined): void {
  journal = j;
}

/** Records a started child (memory at once, then the journal; a journal failure is not fatal). */
export async function childStarted(record: ChildRecord): Promise<void> {
  live.set(record.pgid, record);
  await journal?.add(record).catch(() => undefined);
}

export async function childEnded(record: ChildRecord): Promise<void> {
  live.delete(record.pgid);
  await journal?.remove(record).catch(() => undefined);
}

/** SIGKILLs every live child's cgroup and process group now (used right before a forced exit). */
export function killLiveChildrenSync(): void {
  for (const c of live.values()) {
    if (c.cgroup !== undefined) killCgroupSync(c.cgroup);
    try {
      process.kill(-c.pgid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Field 22 of /proc/<pid>/stat (start time), undefined when the process does not exist. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the group of `record` still holds the dead agent's child. The pgid cannot be reused as a
 * pid while the group has members, so: leader alive with another start time → an unrelated
 * process reused the pid (not ours); otherwise a live group is ours.
 */
function survivorGroup(record: ChildRecord): boolean {
  if (!groupAlive(record.pgid)) return false;
  const start = processStartTime(record.pgid);
  return start === undefined || record.startTime === undefined || start === record.startTime;
}

export interface ReapResult {
  readonly record: ChildRecord;
  readonly action: 'killed' | 'gone' | 'other-boot' | 'still-running';
}

/**
 * Ends what a dead agent left running: records of an earlier boot are dropped; a cgroup is killed
 * and removed; a process group is sent SIGTERM, then SIGKILL after `graceMs`; waits until gone
 * (bounded by `graceMs` + 2 s). Returns what happened to each record.
 */
export async function reapChildren(
  records: readonly ChildRecord[],
  bootId: string | undefined,
  graceMs = 1000,
): Promise<ReapResult[]> {
  const results: ReapResult[] = [];
  for (const record of records) {
    if (record.bootId !== undefined && bootId !== undefined && record.bootId !== bootId) {
      results.push({ record, action: 'other-boot' });
      continue;
    }
    let found = false;
    if (record.cgroup !== undefined && existsSync(record.cgroup)) {
      found = true;
      await destroyCgroup(record.cgroup, graceMs + 2000);
    }
    if (survivorGroup(record)) {
      found = true;
      try {
        process.kill(-record.pgid, 'SIGTERM');
      } catch {
        // gone meanwhile
      }
      const until = Date.now() + graceMs;
      while (groupAlive(record.pgid) && Date.now() < until) await sleep(20);
      try {
        process.kill(-record.pgid, 'SIGKILL');
      } catch {
        // gone
      }
      const hardUntil = Date.now() + 2000;
      while (groupAlive(record.pgid) && Date.now() < hardUntil) await sleep(20);
    }
    results.push({ record, action: !found ? 'gone' : groupAlive(record.pgid) ? 'still-running' : 'killed' });
  }
  return results;
}
