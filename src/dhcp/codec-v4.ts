/**
 * DHCPv4 message codec (RFC 2131 §2 fixed header, RFC 2132 options) with RFC 3396 long-option
 * handling: values over 255 octets are split into consecutive instances on encode, and every
 * instance of a code is concatenated on decode in the order options field, then `file`, then
 * `sname` when option 52 (Option Overload) says those fields carry options.
 *
 * Pure: no I/O. Hostile input only ever raises SZTP_ERR_DHCP_DECODE.
 * @module
 */
import { SztpError } from '../errors.ts';
import { SZTP_REDIRECT_OPTION } from './constants.ts';

export const DHCP4 = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  DOMAIN_NAME: 15,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PRL: 55,
  MAX_SIZE: 57,
  CLIENT_ID: 61,
  BOOTFILE: 67,
  SZTP_REDIRECT: SZTP_REDIRECT_OPTION[4],
  END: 255,
} as const;

export const DHCP4_TYPE = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;

const MAGIC = [99, 130, 83, 99] as const;
const HEADER = 236;

/** One option instance as it appeared on the wire. */
export interface Dhcp4Option {
  readonly code: number;
  readonly data: Uint8Array;
  readonly field?: 'options' | 'file' | 'sname';
}

export interface Dhcp4Message {
  readonly op: 1 | 2;
  readonly xid: number;
  readonly secs: number;
  /** 0x8000 = broadcast. */
  readonly flags: number;
  readonly ciaddr: string;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly giaddr: string;
  /** Hardware address (htype 1, hlen 6 for Ethernet). */
  readonly chaddr: Uint8Array;
  /** Option instances in wire order (after overload, `file` and `sname` instances follow). */
  readonly options: readonly Dhcp4Option[];
}

function decodeError(message: string): SztpError {
  return new SztpError('SZTP_ERR_DHCP_DECODE', `DHCPv4: ${message}`);
}

export function ipv4ToBytes(addr: string): number[] {
  const parts = addr.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new SztpError('SZTP_ERR_DHCP_DECODE', `not an IPv4 address: ${addr}`);
  }
  return parts;
}

export function bytesToIpv4(b: Uint8Array, off = 0): string {
  return `${b[off] ?? 0}.${b[off + 1] ?? 0}.${b[off + 2] ?? 0}.${b[off + 3] ?? 0}`;
}

/** Encodes a message; option values longer than 255 octets are split (RFC 3396 §5). */
export function encodeDhcp4(msg: Dhcp4Message): Uint8Array {
  const opts: number[] = [];
  for (const o of msg.options) {
    if (o.code === DHCP4.PAD || o.code === DHCP4.END) continue;
    let off = 0;
    do {
      const chunk = o.data.subarray(off, off + 255);
      opts.push(o.code, chunk.length, ...chunk);
      off += 255;
    } while (off < o.data.length);
  }
  opts.push(DHCP4.END);
  // BOOTP minimum: 300 octets on the wire (RFC 1542 §2.1), padded with zeros.
  const out = new Uint8Array(Math.max(HEADER + 4 + opts.length, 300));
  const dv = new DataView(out.buffer);
  out[0] = msg.op;
  out[1] = 1; // htype Ethernet
  out[2] = Math.min(msg.chaddr.length, 16);
  out[3] = 0;
  dv.setUint32(4, msg.xid >>> 0);
  dv.setUint16(8, msg.secs & 0xffff);
  dv.setUint16(10, msg.flags & 0xffff);
  out.set(ipv4ToBytes(msg.ciaddr), 12);
  out.set(ipv4ToBytes(msg.yiaddr), 16);
  out.set(ipv4ToBytes(msg.siaddr), 20);
  out.set(ipv4ToBytes(msg.giaddr), 24);
  out.set(msg.chaddr.subarray(0, 16), 28);
  out.set(MAGIC, HEADER);
  out.set(opts, HEADER + 4);
  return out;
}

/** Parses one options area. Stops at END; a missing END at the end of the area is tolerated. */
function parseArea(buf: Uint8Array, field: Dhcp4Option['field']): Dhcp4Option[] {
  const out: Dhcp4Option[] = [];
  let i = 0;
  while (i < buf.length) {
    const code = buf[i] ?? 0;
    if (code === DHCP4.PAD) {
      i += 1;
      continue;
    }
    if (code === DHCP4.END) break;
    if (i + 1 >= buf.length) throw decodeError(`option ${code} in ${field ?? 'options'} has no length octet`);
    const len = buf[i + 1] ?? 0;
    if (i + 2 + len > buf.length)
      throw decodeError(`option ${code} in ${field ?? 'options'} runs past the end (length ${len})`);
    out.push(
      field === undefined
        ? { code, data: buf.slice(i + 2, i + 2 + len) }
        : { code, data: buf.slice(i + 2, i + 2 + len), field },
    );
    i += 2 + len;
  }
  return out;
}

/** Decodes a DHCPv4 message. Throws SZTP_ERR_DHCP_DECODE on anything malformed. */
export function decodeDhcp4(input: Uint8Array): Dhcp4Message {
  // A plain Uint8Array view, so that slices are copies and never Buffers.
  const buf = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length < HEADER + 4) throw decodeError(`message too short (${buf.length} octets)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const op = buf[0];
  if (op !== 1 && op !== 2) throw decodeError(`bad op ${op ?? 0}`);
  for (let k = 0; k < 4; k++) if (buf[HEADER + k] !== MAGIC[k]) throw decodeError('missing magic cookie');
  const hlen = Math.min(buf[2] ?? 0, 16);
  const options = parseArea(buf.subarray(HEADER + 4), 'options');
  const overload = concatOption(options, DHCP4.OVERLOAD);
  const mode = overload?.[0] ?? 0;
  if (overload !== undefined && (overload.length !== 1 || mode < 1 || mode > 3))
    throw decodeError('bad option overload (52) value');
  // RFC 3396 §7 / RFC 2131 §4.1: options field first, then file, then sname.
  if (mode === 1 || mode === 3) options.push(...parseArea(buf.subarray(108, 236), 'file'));
  if (mode === 2 || mode === 3) options.push(...parseArea(buf.subarray(44, 108), 'sname'));
  return {
    op,
    xid: dv.getUint32(4),
    secs: dv.getUint16(8),
    flags: dv.getUint16(10),
    ciaddr: bytesToIpv4(buf, 12),
    yiaddr: bytesToIpv4(buf, 16),
    siaddr: bytesToIpv4(buf, 20),
    giaddr: bytesToIpv4(buf, 24),
    chaddr: buf.slice(28, 28 + hlen),
    options,
  };
}

/** Every instance of `code` concatenated in wire order (RFC 3396 §7), or undefined when absent. */
export function concatOption(options: readonly Dhcp4Option[], code: number): Uint8Array | undefined {
  const parts = options.filter((o) => o.code === code);
  if (parts.length === 0) return undefined;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.data.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p.data, off);
    off += p.data.length;
  }
  return out;
}

/** The message type (option 53), or undefined. */
export function messageType(msg: Dhcp4Message): number | undefined {
  const v = concatOption(msg.options, DHCP4.MESSAGE_TYPE);
  return v?.length === 1 ? v[0] : undefined;
}

/** An option holding a list of IPv4 addresses (1, 3, 6, 50, 54). Malformed lengths → DECODE. */
export function addressListOption(msg: Dhcp4Message, code: number): string[] {
  const v = concatOption(msg.options, code);
  if (v === undefined) return [];
  if (v.length === 0 || v.length % 4 !== 0)
    throw decodeError(`option ${code} length ${v.length} is not a multiple of 4`);
  const out: string[] = [];
  for (let i = 0; i < v.length; i += 4) out.push(bytesToIpv4(v, i));
  return out;
}

/** A 32-bit unsigned option (51), or undefined. */
export function uint32Option(msg: Dhcp4Message, code: number): number | undefined {
  const v = concatOption(msg.options, code);
  if (v === undefined) return undefined;
  if (v.length !== 4) throw decodeError(`option ${code} length ${v.length} is not 4`);
  return new DataView(v.buffer, v.byteOffset, 4).getUint32(0);
}

/** Prefix length from a subnet mask such as 255.255.255.0, or undefined if not contiguous. */
export function maskToPrefix(mask: string): number | undefined {
  const n = ipv4ToBytes(mask).reduce((acc, b) => acc * 256 + b, 0);
  for (let p = 0; p <= 32; p++) {
    const m = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
    if (m === n) return p;
  }
  return undefined;
}
