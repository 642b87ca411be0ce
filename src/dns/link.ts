/**
 * Which interface addresses the mDNS querier uses and which reply sources count as "on the link"
 * (RFC 6762 §11: a responder on another link must be ignored): IPv4 in one of the interface's
 * subnets, IPv6 link-local (fe80::/10) or in one of its prefixes. Pure: the addresses come from
 * `os.networkInterfaces()` in the fetcher.
 * @module
 */

/** One address of an interface, as `os.networkInterfaces()` gives it. */
export interface LinkAddress {
  readonly family: 'IPv4' | 'IPv6';
  readonly address: string;
  /** Prefix length. */
  readonly prefix: number;
}

function v4(address: string): number | undefined {
  const p = address.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return undefined;
  return (((p[0] ?? 0) << 24) >>> 0) + ((p[1] ?? 0) << 16) + ((p[2] ?? 0) << 8) + (p[3] ?? 0);
}

/** The 128 bits of an IPv6 address as a bigint (scope and IPv4 tails not accepted). */
function v6(address: string): bigint | undefined {
  const a = address.replace(/%.*$/, '');
  const [head = '', tail] = a.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all =
    tail === undefined ? h : [...h, ...new Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function inPrefix(a: bigint, b: bigint, bits: number, prefix: number): boolean {
  const shift = BigInt(bits - Math.max(0, Math.min(bits, prefix)));
  return a >> shift === b >> shift;
}

/** The address the querier binds for `family` (IPv6: a link-local one), if the interface has one. */
export function queryAddress(addrs: readonly LinkAddress[], family: 4 | 6): string | undefined {
  if (family === 4) return addrs.find((a) => a.family === 'IPv4')?.address;
  return addrs
    .find((a) => a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:'))
    ?.address.replace(/%.*$/, '');
}

/** True when a reply from `source` comes from the link of the interface with `addrs`. */
export function isOnLink(addrs: readonly LinkAddress[], source: string): boolean {
  const s4 = v4(source.replace(/^::ffff:/i, ''));
  if (s4 !== undefined) {
    return addrs.some(
      (a) =>
        a.family === 'IPv4' &&
        v4(a.address) !== undefined &&
        inPrefix(BigInt(s4), BigInt(v4(a.address) ?? 0), 32, a.prefix),
    );
  }
  const s6 = v6(source);
  if (s6 === undefined) return false;
  if (s6 >> 118n === 0x3fan) return true; // fe80::/10
  return addrs.some(
    (a) => a.family === 'IPv6' && v6(a.address) !== undefined && inPrefix(s6, v6(a.address) ?? 0n, 128, a.prefix),
  );
}
