/**
 * Reads option 143 from systemd-networkd DHCPv4 lease files (`[DHCP] source = networkd`), for
 * devices where networkd owns the interface. networkd writes `/run/systemd/netif/leases/<ifindex>`
 * as `KEY=value` lines ("private data, do not parse", but stable since systemd 219). As the real
 * daemon (systemd 252) shows, it keeps only a fixed set of well-known options plus the
 * site-private options 224..254 as `OPTION_<code>=<hex>`: option 143 itself is never stored, even
 * with `RequestOptions=143`. So the server must also send the option-143 bytes in a site-private
 * option that `[DHCP] networkd_option` names (and the `.network` file requests). `OPTION_143`
 * is read too, should a later networkd keep it. networkd writes no DHCPv6 lease file.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SztpError } from '../errors.ts';
import { parseEnvFile } from './hook-env.ts';

/** The lease-file keys that may hold the redirect option, preferred first. */
export function networkdKeys(privateOption: number | undefined): string[] {
  return ['OPTION_143', ...(privateOption === undefined ? [] : [`OPTION_${privateOption}`])];
}

/** The redirect option bytes in networkd lease-file text, or undefined. */
export function findRedirectInNetworkdLease(text: string, privateOption: number | undefined): Uint8Array | undefined {
  const env = parseEnvFile(text);
  for (const key of networkdKeys(privateOption)) {
    const hex = env.get(key);
    if (hex === undefined) continue;
    if (!/^([0-9a-fA-F]{2})+$/.test(hex))
      throw new SztpError('SZTP_ERR_DHCP_LEASE_SOURCE', `networkd lease ${key} is not hex`);
    return Uint8Array.from(Buffer.from(hex, 'hex'));
  }
  return undefined;
}

export interface NetworkdDeps {
  /** The kernel interface index (default: /sys/class/net/<ifname>/ifindex). */
  readonly ifindex?: (ifname: string) => Promise<number>;
}

async function sysIfindex(ifname: string): Promise<number> {
  return Number((await readFile(join('/sys/class/net', ifname, 'ifindex'), 'utf8')).trim());
}

/**
 * Reads each configured entry in order: a directory holds `<ifindex>` files (networkd), a file is
 * read as it is. Unreadable entries are skipped; none readable → SZTP_ERR_DHCP_LEASE_SOURCE;
 * none with the option → SZTP_ERR_DHCP_NO_OPTION (v6 always: networkd keeps no DHCPv6 lease).
 */
export async function readRedirectFromNetworkd(
  entries: readonly string[],
  ifname: string,
  family: 4 | 6,
  privateOption: number | undefined,
  deps: NetworkdDeps = {},
): Promise<{ value: Uint8Array; file: string }> {
  if (family === 6) {
    throw new SztpError(
      'SZTP_ERR_DHCP_NO_OPTION',
      'systemd-networkd keeps no DHCPv6 lease file: option 136 cannot be read from it (use [DHCP] source = client)',
      { evidence: { interface: ifname } },
    );
  }
  const problems: string[] = [];
  let readable = 0;
  for (const entry of entries) {
    let file = entry;
    try {
      if ((await stat(entry)).isDirectory()) file = join(entry, String(await (deps.ifindex ?? sysIfindex)(ifname)));
      const text = await readFile(file, 'utf8');
      readable++;
      const value = findRedirectInNetworkdLease(text, privateOption);
      if (value !== undefined) return { value, file };
    } catch (err) {
      if (err instanceof SztpError) throw err;
      problems.push(`${file}: ${(err as { code?: string }).code ?? String(err)}`);
    }
  }
  if (readable === 0) {
    throw new SztpError(
      'SZTP_ERR_DHCP_LEASE_SOURCE',
      `no readable networkd lease for ${ifname} (${problems.join('; ') || 'none configured'})`,
      { evidence: { entries } },
    );
  }
  throw new SztpError(
    'SZTP_ERR_DHCP_NO_OPTION',
    `the networkd lease of ${ifname} has none of ${networkdKeys(privateOption).join(', ')}${privateOption === undefined ? ' (set [DHCP] networkd_option: networkd stores option 143 only as a copy in a site-private option)' : ''}`,
    {
      evidence: { interface: ifname, keys: networkdKeys(privateOption) },
    },
  );
}
