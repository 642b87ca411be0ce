/**
 * Configures what a DHCP lease gives (address, router route, the limited-broadcast route the
 * DHCPv4 client needs) with iproute2 (`ip`, run with an argv through execFile, never a shell),
 * and removes exactly what it added, in reverse order, leaving the interface as it was found.
 * An `ip ... add` that fails with "File exists" means the item was already there: it is not
 * recorded and therefore never removed.
 * With a journal (the daemon's, in the state file), each undo argv is recorded durably before its
 * `ip ... add` runs and dropped once undone, so the changes of a killed agent are undone on the
 * next start (src/daemon/network-journal.ts).
 * @module
 */
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';
import type { NetworkJournal } from '../contracts/network-journal.ts';
import { SztpError } from '../errors.ts';

/** Runs `ip <argv>`; resolves with the exit code and stderr (never rejects for a non-zero exit). */
export type IpRunner = (argv: readonly string[]) => Promise<{ readonly code: number; readonly stderr: string }>;

export const execIp: IpRunner = (argv) =>
  new Promise((resolve) => {
    execFile('ip', [...argv], { timeout: 10_000 }, (err, _stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 127;
      resolve({ code, stderr: stderr || (err?.message ?? '') });
    });
  });

/** What `ip ... del` says when the item is gone already (nothing left to undo). */
export const UNDONE_ALREADY = /cannot find|no such|not found|cannot assign/i;

/** What was added on an interface, removable in one call. */
export interface NetworkChanges {
  /** Adds one item (`ip <add...>`), recording `ip <del...>` for removal. False when it already existed. */
  add(addArgv: readonly string[], delArgv: readonly string[]): Promise<boolean>;
  /** Removes everything added, last first. Throws SZTP_ERR_DHCP_ADDRESS if a removal failed (after trying all). */
  removeAll(): Promise<void>;
  /** The `ip` argv lists that will undo the changes (for logs and tests). */
  readonly pending: readonly (readonly string[])[];
}

export function createNetworkChanges(run: IpRunner, log?: Logger, journal?: NetworkJournal): NetworkChanges {
  const undo: (readonly string[])[] = [];
  return {
    pending: undo,
    async add(addArgv, delArgv) {
      // Journal first: a kill right after the `ip ... add` must still find the undo on the next start.
      await journal?.record(delArgv);
      const r = await run(addArgv);
      if (r.code === 0) {
        undo.push(delArgv);
        log?.debug({ argv: ['ip', ...addArgv] }, 'dhcp: network change applied');
        return true;
      }
      await journal?.forget(delArgv);
      if (/exists/i.test(r.stderr)) return false;
      throw new SztpError('SZTP_ERR_DHCP_ADDRESS', `ip ${addArgv.join(' ')} failed: ${r.stderr.trim()}`, {
        evidence: { argv: addArgv, exitCode: r.code },
      });
    },
    async removeAll() {
      const failures: string[] = [];
      while (undo.length > 0) {
        const argv = undo.pop();
        if (argv === undefined) break;
        const r = await run(argv);
        if (r.code !== 0 && !UNDONE_ALREADY.test(r.stderr)) {
          // Kept in the journal: the next start tries again.
          failures.push(`ip ${argv.join(' ')}: ${r.stderr.trim()}`);
        } else {
          log?.debug({ argv: ['ip', ...argv] }, 'dhcp: network change removed');
          await journal?.forget(argv);
        }
      }
      if (failures.length > 0)
        throw new SztpError('SZTP_ERR_DHCP_ADDRESS', `removing DHCP network changes failed: ${failures.join('; ')}`);
    },
  };
}

/** A lease to configure. `routers` get a default route only when none exists for that family. */
export interface LeaseConfig {
  readonly family: 4 | 6;
  readonly ifname: string;
  readonly address: string;
  readonly prefixLength: number;
  readonly routers: readonly string[];
}

/** Adds the leased address (and a default route through the first router, if none exists yet). */
export async function configureLease(changes: NetworkChanges, lease: LeaseConfig): Promise<void> {
  const fam = lease.family === 4 ? '-4' : '-6';
  const cidr = `${lease.address}/${lease.prefixLength}`;
  const extra = lease.family === 6 ? ['nodad'] : [];
  await changes.add(
    [fam, 'addr', 'add', cidr, 'dev', lease.ifname, ...extra],
    [fam, 'addr', 'del', cidr, 'dev', lease.ifname],
  );
  const router = lease.routers[0];
  if (router !== undefined) {
    await changes.add(
      [fam, 'route', 'add', 'default', 'via', router, 'dev', lease.ifname],
      [fam, 'route', 'del', 'default', 'via', router, 'dev', lease.ifname],
    );
  }
}

/**
 * Node has no SO_BINDTODEVICE, so a DHCPv4 client with no address cannot send to
 * 255.255.255.255 (ENETUNREACH) unless a host route for it points at the interface.
 */
export async function addLimitedBroadcastRoute(changes: NetworkChanges, ifname: string): Promise<boolean> {
  return changes.add(
    ['-4', 'route', 'add', '255.255.255.255/32', 'dev', ifname],
    ['-4', 'route', 'del', '255.255.255.255/32', 'dev', ifname],
  );
}
