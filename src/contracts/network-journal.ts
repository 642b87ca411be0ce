/**
 * The network-change journal between the DHCP fetchers and the daemon: every change the agent
 * makes to an interface (leased address, default route, the limited-broadcast route, setting a
 * down link up) is recorded durably, as the `ip` argv that undoes it, BEFORE it is made, and
 * dropped once undone. A killed agent leaves the records in the state file; the next start runs
 * them, last first, so the interfaces end as they were found.
 * @module
 */

/** One change the agent made (or was about to make), as the `ip` argv that undoes it. */
export interface NetworkUndoRecord {
  /** `ip` arguments, e.g. `['-4', 'addr', 'del', '192.0.2.100/24', 'dev', 'eth0']`. */
  readonly argv: readonly string[];
  /** Kernel boot id when recorded: network changes do not survive a reboot, so other boots' records are dropped. */
  readonly bootId?: string;
  readonly at: string;
}

/** Where the fetchers record their changes (the daemon installs one backed by the state file). */
export interface NetworkJournal {
  /** Persists `undo` before the change it undoes is made. */
  record(undo: readonly string[]): Promise<void>;
  /** Drops `undo` once it ran, or when the change was not made after all. */
  forget(undo: readonly string[]): Promise<void>;
}
