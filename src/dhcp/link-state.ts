/**
 * Administrative link state for the DHCP fetchers (our own client, `[DHCP] source = client`).
 * An interface that is administratively down cannot send a DHCPDISCOVER, and nothing else in a
 * freshly booted image may have set it up. So the fetcher brings it up (`ip link set dev X up`)
 * and records the opposite command in its NetworkChanges: the interface goes down again together
 * with the leased address when the fetcher moves on or onboarding from it ends, leaving the
 * interface as it was found. An interface that was already up is left alone.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SztpError, isSztpError } from '../errors.ts';
import type { NetworkChanges } from './address.ts';
import type { InterfaceState } from './interfaces.ts';

/** IFF_UP in `/sys/class/net/<if>/flags`. */
const IFF_UP = 0x1;

/** True when administratively up, false when down, undefined when the interface does not exist. */
export async function readAdminUp(name: string, sysClassNet = '/sys/class/net'): Promise<boolean | undefined> {
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(name)) return undefined;
  try {
    const flags = Number.parseInt((await readFile(join(sysClassNet, name, 'flags'), 'utf8')).trim(), 16);
    return Number.isNaN(flags) ? undefined : (flags & IFF_UP) !== 0;
  } catch {
    return undefined;
  }
}

/** Sets the interface up, recording `ip link set dev X down` for the undo. */
export async function bringLinkUp(changes: NetworkChanges, ifname: string): Promise<void> {
  await changes.add(['link', 'set', 'dev', ifname, 'up'], ['link', 'set', 'dev', ifname, 'down']);
}

/**
 * Reads the interface until it is usable (operstate up or unknown), for at most `waitMs`: a link
 * just set up needs a moment for its carrier. Errors other than "not up" end the wait at once.
 */
export async function waitUsable(
  read: () => Promise<InterfaceState>,
  waitMs: number,
  signal: AbortSignal,
): Promise<InterfaceState> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return await read();
    } catch (err) {
      const notUp =
        isSztpError(err) && err.code === 'SZTP_ERR_DHCP_INTERFACE' && typeof err.evidence?.operstate === 'string';
      if (!notUp || Date.now() >= until) throw err;
    }
    await sleep(100, undefined, { signal }).catch(() => undefined);
    if (signal.aborted)
      throw new SztpError('SZTP_ERR_ABORTED', 'aborted while waiting for an interface to come up', { stage: 'dhcp' });
  }
}
