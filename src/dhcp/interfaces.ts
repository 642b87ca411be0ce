/**
 * Interface state for the DHCP fetchers: existence and operational state from
 * `/sys/class/net/<if>/{operstate,address}`, IPv4 addresses from `os.networkInterfaces()`, IPv6
 * addresses (with their DAD/tentative flag) from `/proc/net/if_inet6`. A missing interface or
 * one that is not up → SZTP_ERR_DHCP_INTERFACE (the loop moves on to the next fetcher).
 * @module
 */
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { SztpError } from '../errors.ts';
import { bytesToIpv6 } from './codec-v6.ts';

export interface Ipv4Address {
  readonly address: string;
  readonly prefixLength: number;
}

export interface Ipv6Address {
  readonly address: string;
  readonly prefixLength: number;
  readonly scope: 'global' | 'link' | 'host' | 'site';
  /** DAD not finished (IFA_F_TENTATIVE) or failed (IFA_F_DADFAILED). */
  readonly tentative: boolean;
}

export interface InterfaceState {
  readonly name: string;
  readonly operstate: string;
  /** 6-octet MAC address. */
  readonly mac: Uint8Array;
  readonly ipv4: readonly Ipv4Address[];
  readonly ipv6: readonly Ipv6Address[];
}

/** Paths are injectable so unit tests can use a fake sysfs/procfs. */
export interface InterfaceDeps {
  readonly sysClassNet: string;
  readonly procIfInet6: string;
  readonly networkInterfaces: typeof networkInterfaces;
}

export const DEFAULT_INTERFACE_DEPS: InterfaceDeps = {
  sysClassNet: '/sys/class/net',
  procIfInet6: '/proc/net/if_inet6',
  networkInterfaces,
};

const USABLE_OPERSTATES = new Set(['up', 'unknown']);

/** Reads one interface; throws SZTP_ERR_DHCP_INTERFACE when it is missing or not up. */
export async function readInterface(
  name: string,
  deps: InterfaceDeps = DEFAULT_INTERFACE_DEPS,
): Promise<InterfaceState> {
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(name)) {
    throw new SztpError('SZTP_ERR_DHCP_INTERFACE', `invalid interface name ${JSON.stringify(name)}`, {
      evidence: { interface: name },
    });
  }
  let operstate: string;
  let macText: string;
  try {
    operstate = (await readFile(join(deps.sysClassNet, name, 'operstate'), 'utf8')).trim();
    macText = (await readFile(join(deps.sysClassNet, name, 'address'), 'utf8')).trim();
  } catch (err) {
    throw new SztpError('SZTP_ERR_DHCP_INTERFACE', `interface ${name} does not exist`, {
      cause: err,
      evidence: { interface: name },
    });
  }
  if (!USABLE_OPERSTATES.has(operstate)) {
    throw new SztpError('SZTP_ERR_DHCP_INTERFACE', `interface ${name} is ${operstate}, not up`, {
      evidence: { interface: name, operstate },
    });
  }
  const mac = Uint8Array.from(macText.split(':').map((h) => parseInt(h, 16) & 0xff));
  const ipv4 = (deps.networkInterfaces()[name] ?? [])
    .filter((a) => a.family === 'IPv4')
    .map((a) => ({ address: a.address, prefixLength: Number((a.cidr ?? '/32').split('/')[1]) }));
  const ipv6 = parseIfInet6(await readFile(deps.procIfInet6, 'utf8').catch(() => ''), name);
  return { name, operstate, mac: mac.length === 6 ? mac : new Uint8Array(6), ipv4, ipv6 };
}

const SCOPES: Record<string, Ipv6Address['scope']> = { '00': 'global', '20': 'link', '10': 'host', '40': 'site' };

/** Parses /proc/net/if_inet6 lines: `addr32hex ifindex prefixlen scope flags name`. */
export function parseIfInet6(text: string, name: string): Ipv6Address[] {
  const out: Ipv6Address[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[5] !== name) continue;
    const hex = f[0] ?? '';
    if (!/^[0-9a-f]{32}$/.test(hex)) continue;
    const address = bytesToIpv6(Uint8Array.from(Buffer.from(hex, 'hex')));
    const flags = parseInt(f[4] ?? '0', 16);
    out.push({
      address,
      prefixLength: parseInt(f[2] ?? '128', 16),
      scope: SCOPES[f[3] ?? ''] ?? 'global',
      tentative: (flags & 0x40) !== 0 || (flags & 0x08) !== 0,
    });
  }
  return out;
}

/** The first usable (non link-local) IPv4 address, if any. */
export function usableIpv4(state: InterfaceState): Ipv4Address | undefined {
  return state.ipv4.find((a) => !a.address.startsWith('169.254.'));
}

/** A global IPv6 address that finished DAD, if any. */
export function globalIpv6(state: InterfaceState): Ipv6Address | undefined {
  return state.ipv6.find((a) => a.scope === 'global' && !a.tentative);
}

/** A link-local IPv6 address that finished DAD, if any. */
export function linkLocalIpv6(state: InterfaceState): Ipv6Address | undefined {
  return state.ipv6.find((a) => a.scope === 'link' && !a.tentative);
}
