/**
 * The device-independent SRV records of RFC 8572 §4.2.3 (C-031) as an unsigned redirect list:
 * targets in RFC 2782 order (lowest priority first; within one priority, a weighted random
 * selection in which weight-0 records are listed first and rarely chosen first), with the
 * addresses the response's additional section gives for each target (C-033).
 *
 * A set larger than {@link MAX_SRV_RECORDS} is cut (hostile responses); a single SRV record whose
 * target is "." means the service is decidedly not available (RFC 2782), so the list is empty.
 *
 * Pure: no I/O; the random source is passed in.
 * @module
 */
import type { SrvData } from './codec.ts';

/** SRV records considered per response; the redirect walker then caps entries again. */
export const MAX_SRV_RECORDS = 64;

/** Orders SRV records per RFC 2782 ("Usage rules"); `random()` returns a number in [0, 1). */
export function orderSrv(records: readonly SrvData[], random: () => number): SrvData[] {
  const set = records.slice(0, MAX_SRV_RECORDS);
  if (set.length === 1 && set[0]?.target === '') return [];
  const usable = set.filter((r) => r.target !== '');
  const priorities = [...new Set(usable.map((r) => r.priority))].sort((a, b) => a - b);
  const out: SrvData[] = [];
  for (const p of priorities) {
    // Weight-0 records first, then the others, in the order received.
    const group = usable.filter((r) => r.priority === p);
    const pending = [...group.filter((r) => r.weight === 0), ...group.filter((r) => r.weight !== 0)];
    while (pending.length > 0) {
      const total = pending.reduce((s, r) => s + r.weight, 0);
      const pick = Math.floor(random() * (total + 1)); // uniform in 0..total
      let running = 0;
      let index = pending.length - 1;
      for (let i = 0; i < pending.length; i++) {
        running += pending[i]?.weight ?? 0;
        if (running >= pick) {
          index = i;
          break;
        }
      }
      const [chosen] = pending.splice(index, 1);
      if (chosen !== undefined) out.push(chosen);
    }
  }
  return out;
}

/** One bootstrap-server entry derived from an SRV target. */
export interface SrvServer {
  readonly address: string;
  readonly port: number;
}

/**
 * The redirect entries of ordered SRV records: each target's addresses from `addressesOf`
 * (A/AAAA of the additional section, in that order), else the target name itself. Duplicate
 * entries are dropped.
 */
export function srvServers(
  ordered: readonly SrvData[],
  addressesOf: (target: string) => readonly string[],
): SrvServer[] {
  const out: SrvServer[] = [];
  const seen = new Set<string>();
  for (const r of ordered) {
    const addresses = addressesOf(r.target);
    for (const address of addresses.length > 0 ? addresses : [r.target]) {
      const key = `${address.toLowerCase()}|${r.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ address, port: r.port });
    }
  }
  return out;
}
