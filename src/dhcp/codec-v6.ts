/**
 * DHCPv6 client/server message codec (RFC 8415 §8 message format, §21 option TLVs): the options
 * the SZTP client needs: CLIENTID/SERVERID (DUID), IA_NA with IAADDR, ORO, ELAPSED_TIME,
 * STATUS_CODE, DNS servers (RFC 3646) and OPTION_V6_SZTP_REDIRECT 136 (RFC 8572 §8.2).
 * Relay messages are not handled (a client never receives them).
 *
 * Pure: no I/O. Hostile input only ever raises SZTP_ERR_DHCP_DECODE.
 * @module
 */
import { SztpError } from '../errors.ts';
import { SZTP_REDIRECT_OPTION } from './constants.ts';

export const DHCP6 = {
  CLIENTID: 1,
  SERVERID: 2,
  IA_NA: 3,
  IAADDR: 5,
  ORO: 6,
  ELAPSED_TIME: 8,
  STATUS_CODE: 13,
  RAPID_COMMIT: 14,
  DNS_SERVERS: 23,
  DOMAIN_LIST: 24,
  SZTP_REDIRECT: SZTP_REDIRECT_OPTION[6],
} as const;

export const DHCP6_TYPE = {
  SOLICIT: 1,
  ADVERTISE: 2,
  REQUEST: 3,
  CONFIRM: 4,
  RENEW: 5,
  REBIND: 6,
  REPLY: 7,
  RELEASE: 8,
  DECLINE: 9,
  RECONFIGURE: 10,
  INFORMATION_REQUEST: 11,
} as const;

export interface Dhcp6Option {
  readonly code: number;
  readonly data: Uint8Array;
}

export interface Dhcp6Message {
  readonly msgType: number;
  /** 24-bit transaction id. */
  readonly transactionId: number;
  readonly options: readonly Dhcp6Option[];
}

export interface Dhcp6IaAddress {
  readonly address: string;
  readonly preferredLifetime: number;
  readonly validLifetime: number;
}

export interface Dhcp6IaNa {
  readonly iaid: number;
  readonly t1: number;
  readonly t2: number;
  readonly addresses: readonly Dhcp6IaAddress[];
  readonly statusCode?: number;
}

function decodeError(message: string): SztpError {
  return new SztpError('SZTP_ERR_DHCP_DECODE', `DHCPv6: ${message}`);
}

/** Encodes option TLVs (2-octet code, 2-octet length). */
export function encodeOptions6(options: readonly Dhcp6Option[]): Uint8Array {
  const total = options.reduce((n, o) => n + 4 + o.data.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let off = 0;
  for (const o of options) {
    if (o.data.length > 0xffff)
      throw new SztpError('SZTP_ERR_DHCP_DECODE', `DHCPv6 option ${o.code} longer than 65535 octets`);
    dv.setUint16(off, o.code);
    dv.setUint16(off + 2, o.data.length);
    out.set(o.data, off + 4);
    off += 4 + o.data.length;
  }
  return out;
}

/** Decodes option TLVs; any length running past the end → SZTP_ERR_DHCP_DECODE. */
export function decodeOptions6(input: Uint8Array): Dhcp6Option[] {
  // A plain Uint8Array view, so that slices are copies and never Buffers.
  const buf = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Dhcp6Option[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 4 > buf.length) throw decodeError(`option header truncated at offset ${off}`);
    const code = dv.getUint16(off);
    const len = dv.getUint16(off + 2);
    if (off + 4 + len > buf.length) throw decodeError(`option ${code} runs past the end (length ${len})`);
    out.push({ code, data: buf.slice(off + 4, off + 4 + len) });
    off += 4 + len;
  }
  return out;
}

export function encodeDhcp6(msg: Dhcp6Message): Uint8Array {
  const opts = encodeOptions6(msg.options);
  const out = new Uint8Array(4 + opts.length);
  out[0] = msg.msgType;
  out[1] = (msg.transactionId >> 16) & 0xff;
  out[2] = (msg.transactionId >> 8) & 0xff;
  out[3] = msg.transactionId & 0xff;
  out.set(opts, 4);
  return out;
}

export function decodeDhcp6(buf: Uint8Array): Dhcp6Message {
  if (buf.length < 4) throw decodeError(`message too short (${buf.length} octets)`);
  const msgType = buf[0] ?? 0;
  if (msgType === 12 || msgType === 13) throw decodeError('relay messages are not accepted by a client');
  return {
    msgType,
    transactionId: ((buf[1] ?? 0) << 16) | ((buf[2] ?? 0) << 8) | (buf[3] ?? 0),
    options: decodeOptions6(buf.subarray(4)),
  };
}

/** The first instance of an option (136 is a singleton, RFC 8572 §8.2). */
export function getOption6(msg: { readonly options: readonly Dhcp6Option[] }, code: number): Uint8Array | undefined {
  return msg.options.find((o) => o.code === code)?.data;
}

export function bytesToIpv6(b: Uint8Array, off = 0): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((b[off + i] ?? 0) << 8) | (b[off + i + 1] ?? 0)).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** A STATUS_CODE option value (code only). */
export function statusCode(data: Uint8Array | undefined): number | undefined {
  if (data === undefined) return undefined;
  if (data.length < 2) throw decodeError('STATUS_CODE shorter than 2 octets');
  return ((data[0] ?? 0) << 8) | (data[1] ?? 0);
}

/** Parses an IA_NA option value with its IAADDR sub-options. */
export function parseIaNa(data: Uint8Array): Dhcp6IaNa {
  if (data.length < 12) throw decodeError('IA_NA shorter than 12 octets');
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const sub = decodeOptions6(data.subarray(12));
  const addresses: Dhcp6IaAddress[] = [];
  for (const o of sub) {
    if (o.code !== DHCP6.IAADDR) continue;
    if (o.data.length < 24) throw decodeError('IAADDR shorter than 24 octets');
    const a = new DataView(o.data.buffer, o.data.byteOffset, o.data.byteLength);
    const subStatus = statusCode(getOption6({ options: decodeOptions6(o.data.subarray(24)) }, DHCP6.STATUS_CODE));
    if (subStatus !== undefined && subStatus !== 0) continue;
    addresses.push({
      address: bytesToIpv6(o.data),
      preferredLifetime: a.getUint32(16),
      validLifetime: a.getUint32(20),
    });
  }
  const st = statusCode(getOption6({ options: sub }, DHCP6.STATUS_CODE));
  const base = { iaid: dv.getUint32(0), t1: dv.getUint32(4), t2: dv.getUint32(8), addresses };
  return st === undefined ? base : { ...base, statusCode: st };
}

/** Builds an IA_NA option value with no addresses (client side, in Solicit). */
export function encodeIaNa(iaid: number, addresses: readonly Uint8Array[] = []): Uint8Array {
  const sub = encodeOptions6(
    addresses.map((a) => {
      const v = new Uint8Array(24);
      v.set(a.subarray(0, 16));
      return { code: DHCP6.IAADDR, data: v };
    }),
  );
  const out = new Uint8Array(12 + sub.length);
  new DataView(out.buffer).setUint32(0, iaid >>> 0);
  out.set(sub, 12);
  return out;
}

/** Parses an IPv6 textual address into 16 octets (used for IA_NA echo in Request). */
export function ipv6ToBytes(addr: string): Uint8Array {
  const out = new Uint8Array(16);
  const [head = '', tail] = addr.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = 8 - h.length - t.length;
  if (addr.split('::').length > 2 || fill < 0 || (tail === undefined && fill !== 0))
    throw decodeError(`not an IPv6 address: ${addr}`);
  const groups = [...h, ...Array<string>(fill).fill('0'), ...t];
  groups.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw decodeError(`not an IPv6 address: ${addr}`);
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

/** DNS recursive name servers (option 23): a list of 16-octet addresses. */
export function dnsServers6(msg: Dhcp6Message): string[] {
  const v = getOption6(msg, DHCP6.DNS_SERVERS);
  if (v === undefined) return [];
  if (v.length % 16 !== 0) throw decodeError('DNS_SERVERS length is not a multiple of 16');
  const out: string[] = [];
  for (let i = 0; i < v.length; i += 16) out.push(bytesToIpv6(v, i));
  return out;
}
