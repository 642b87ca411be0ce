/**
 * The daemon's side of the network-change journal (src/contracts/network-journal.ts): the records
 * live in the state file (`state.network`), each written before its change is made, and on start,
 * before anything else, the daemon undoes what a killed agent left (last made, first undone), so
 * the interfaces end as they were found: no leased address, default route or limited-broadcast
 * route of ours, and a link we set up set down again. Records of an earlier boot are dropped
 * (network changes do not survive a reboot; running them could remove someone else's address).
 * @module
 */
import type { Logger } from 'pino';
import type { NetworkJournal, NetworkUndoRecord } from '../contracts/network-journal.ts';
import type { IpRunner } from '../dhcp/address.ts';
import { currentBootIdSync } from '../platform/boot-id.ts';
import type { AgentState, StateStore } from '../state/types.ts';

const same = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

function withRecords(s: AgentState, records: readonly NetworkUndoRecord[]): AgentState {
  const { network: _old, ...rest } = s;
  return records.length === 0 ? rest : { ...rest, network: records };
}

/** Persists network undo records in the state file. */
export function stateNetworkJournal(store: StateStore, now: () => Date): NetworkJournal {
  return {
    record: async (undo) => {
      const bootId = currentBootIdSync();
      const record: NetworkUndoRecord = {
        argv: [...undo],
        at: now().toISOString(),
        ...(bootId === undefined ? {} : { bootId }),
      };
      await store.update((s) => withRecords(s, [...(s.network ?? []).filter((r) => !same(r.argv, undo)), record]));
    },
    forget: async (undo) => {
      await store.update((s) =>
        s.network === undefined
          ? s
          : withRecords(
              s,
              s.network.filter((r) => !same(r.argv, undo)),
            ),
      );
    },
  };
}

/**
 * Undoes the network changes a dead agent left (bounded: each `ip` call has a 10 s deadline).
 * A record whose undo fails stays, and is tried again on the next start. `run` defaults to `ip`.
 */
export async function undoDeadAgentNetworkChanges(store: StateStore, log: Logger, run?: IpRunner): Promise<void> {
  const records = (await store.read()).network ?? [];
  if (records.length === 0) return;
  // Loaded only when there is something to undo (a USB-only daemon never loads the DHCP code).
  const { execIp, UNDONE_ALREADY } = await import('../dhcp/address.ts');
  const ip = run ?? execIp;
  const bootId = currentBootIdSync();
  const kept: NetworkUndoRecord[] = [];
  for (const record of [...records].reverse()) {
    if (record.bootId !== undefined && bootId !== undefined && record.bootId !== bootId) continue;
    const r = await ip(record.argv);
    if (r.code === 0) log.warn({ argv: ['ip', ...record.argv] }, 'undid a network change a previous agent left');
    else if (!UNDONE_ALREADY.test(r.stderr)) {
      log.error(
        { argv: ['ip', ...record.argv], stderr: r.stderr.trim() },
        'could not undo a network change a previous agent left; tried again on the next start',
      );
      kept.unshift(record);
    }
  }
  // Runs before any fetcher, under the agent lock: no other writer of these records exists yet.
  await store.update((s) => withRecords(s, kept));
}
