/**
 * The daemon's side of child tracking (src/platform/children.ts): running children are recorded
 * in the state file (`state.children`: process group, leader start time, cgroup, boot id) while
 * they run, and on start the daemon reaps what a killed agent left: a script that survived its
 * agent is ended before the resumed attempt runs its own copy (never the same step twice at the
 * same time). Records of an earlier boot name nothing alive and are dropped.
 * @module
 */
import type { Logger } from 'pino';
import { currentBootIdSync } from '../platform/boot-id.ts';
import { reapChildren, type ChildJournal, type ChildRecord } from '../platform/children.ts';
import type { StateStore } from '../state/types.ts';

const same = (a: ChildRecord, b: ChildRecord): boolean => a.pgid === b.pgid && a.startedAt === b.startedAt;

/** Persists child records in the state file. */
export function stateChildJournal(store: StateStore): ChildJournal {
  return {
    add: async (record) => {
      await store.update((s) => ({ ...s, children: [...(s.children ?? []).filter((c) => !same(c, record)), record] }));
    },
    remove: async (record) => {
      await store.update((s) => {
        if (s.children === undefined) return s;
        const { children, ...rest } = s;
        const left = children.filter((c) => !same(c, record));
        return left.length === 0 ? rest : { ...rest, children: left };
      });
    },
  };
}

/** Ends the children a dead agent left running (bounded: about 3 s per survivor) and clears their records. */
export async function reapDeadAgentChildren(store: StateStore, log: Logger): Promise<void> {
  const records = (await store.read()).children ?? [];
  if (records.length === 0) return;
  const results = await reapChildren(records, currentBootIdSync());
  for (const r of results) {
    if (r.action === 'killed')
      log.warn(
        { pgid: r.record.pgid, program: r.record.program, cgroup: r.record.cgroup },
        'ended a child process a previous agent left running',
      );
    if (r.action === 'still-running')
      log.error(
        { pgid: r.record.pgid, program: r.record.program },
        'a child process a previous agent left running could not be ended',
      );
  }
  await store.update((s) => {
    const { children: _reaped, ...rest } = s;
    return rest;
  });
}
