/**
 * DNS message codec (RFC 1035 §4: header, question, resource records; §4.1.4 name compression)
 * for the DNS source of RFC 8572 §4.2: queries out, responses in, with the record types the agent
 * reads decoded (TXT RFC 1035 §3.3.14, SRV RFC 2782, A, AAAA). The encoder compresses names and
 * also writes responses (the test responders and `bundle --dns-zone` checks use it).
 *
 * Pure: no I/O. Hostile input (compression loops, pointers forward, truncated records, oversized
 * names, absurd record counts) only ever raises SZTP_ERR_DNS_DECODE.
 * @module
 */
import { SztpError } from '../errors.ts';

export const DNS_TYPE = { A: 1, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const DNS_CLASS_IN = 1;
export const DNS_RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

/** Hostile-input limits: beyond them a message is refused as a whole. */
export const DNS_LIMITS = {
  /** RFC 1035 §2.3.4: 255 octets on the wire for a name. */
  maxNameOctets: 255,
  /** Compression pointers followed while reading one name. */
  maxPointerHops: 64,
  /** Records per message (all sections); a TCP message can hold at most 65535 octets anyway. */
  maxRecords: 1024,
  /** Questions per message. */
  maxQuestions: 16,
} as const;

export interface DnsQuestion {
  /** Dotted name without the trailing dot, e.g. `SN123._sztp.local`; '' is the root. */
  readonly name: string;
  readonly type: number;
  /** Class (1 = IN); for mDNS the top bit is the QU (unicast response) bit. */
  readonly qclass: number;
}

export interface SrvData {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  /** Target host name without the trailing dot ('' for the root: "service not available"). */
  readonly target: string;
}

export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  /** Class; for mDNS the top bit is the cache-flush bit. */
  readonly rclass: number;
  readonly ttl: number;
  /** Raw RDATA (names inside it may be compression pointers into the message: use the decoded fields). */
  readonly data: Uint8Array;
  /** TXT: the character-strings, in order. */
  readonly txt?: readonly Uint8Array[];
  readonly srv?: SrvData;
  /** A/AAAA: the address in text form. */
  readonly address?: string;
}

export interface DnsMessage {
  readonly id: number;
  /** True in a response. */
  readonly qr: boolean;
  readonly opcode: number;
  readonly aa: boolean;
  /** Truncated: the whole answer did not fit (retry over TCP). */
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  readonly rcode: number;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
}

function decodeError(message: string): SztpError {
  return new SztpError('SZTP_ERR_DNS_DECODE', `DNS: ${message}`);
}

/** ASCII-only lower case (RFC 4343: DNS names compare case-insensitively for ASCII letters only). */
export function dnsLower(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** True when two names are equal under RFC 4343 (trailing dots ignored). */
export function sameName(a: string, b: string): boolean {
  return dnsLower(a.replace(/\.$/, '')) === dnsLower(b.replace(/\.$/, ''));
}

/** The labels of a dotted name (no escapes: a label containing '.' cannot be written this way). */
function labelsOf(name: string): Uint8Array[] {
  const trimmed = name.replace(/\.$/, '');
  if (trimmed === '') return [];
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\xff]/.test(trimmed))
    throw new SztpError('SZTP_ERR_DNS_NAME', `DNS name ${JSON.stringify(name)} has characters outside one octet`);
  const labels = trimmed.split('.').map((l) => Buffer.from(l, 'latin1'));
  let octets = 1;
  for (const l of labels) {
    if (l.length === 0 || l.length > 63)
      throw new SztpError(
        'SZTP_ERR_DNS_NAME',
        `DNS name ${JSON.stringify(name)}: a label is empty or longer than 63 octets`,
      );
    octets += 1 + l.length;
  }
  if (octets > DNS_LIMITS.maxNameOctets)
    throw new SztpError('SZTP_ERR_DNS_NAME', `DNS name ${JSON.stringify(name)} is longer than 255 octets`);
  return labels;
}

/** Checks that `name` can be queried (RFC 1035 §2.3.4 label and name lengths); throws SZTP_ERR_DNS_NAME. */
export function checkName(name: string): void {
  labelsOf(name);
}

/** Growable output with a name-compression dictionary (RFC 1035 §4.1.4). */
class Writer {
  private buf = new Uint8Array(512);
  length = 0;
  private readonly names = new Map<string, number>();

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
  }
  u16(v: number): void {
    this.u8(v >>> 8);
    this.u8(v);
  }
  u32(v: number): void {
    this.u16(v >>> 16);
    this.u16(v & 0xffff);
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  setU16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }
  /** Writes a name, pointing to an earlier copy of its longest known suffix. */
  name(name: string, compress = true): void {
    const labels = labelsOf(name);
    for (let i = 0; i < labels.length; i++) {
      const suffix = dnsLower(
        labels
          .slice(i)
          .map((l) => Buffer.from(l).toString('latin1'))
          .join('.'),
      );
      const at = compress ? this.names.get(suffix) : undefined;
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.length < 0x4000) this.names.set(suffix, this.length);
      const label = labels[i] ?? new Uint8Array(0);
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** What a record to encode carries: raw `data`, or one of the typed payloads. */
export interface RecordInput {
  readonly name: string;
  readonly type: number;
  readonly rclass?: number;
  readonly ttl?: number;
  readonly data?: Uint8Array;
  readonly txt?: readonly Uint8Array[];
  readonly srv?: SrvData;
  readonly address?: string;
}

export interface MessageInput {
  readonly id: number;
  readonly qr?: boolean;
  readonly opcode?: number;
  readonly aa?: boolean;
  readonly tc?: boolean;
  readonly rd?: boolean;
  readonly ra?: boolean;
  readonly rcode?: number;
  readonly questions?: readonly DnsQuestion[];
  readonly answers?: readonly RecordInput[];
  readonly authorities?: readonly RecordInput[];
  readonly additionals?: readonly RecordInput[];
}

function ipv4Bytes(address: string): Uint8Array {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new SztpError('SZTP_ERR_DNS_DECODE', `not an IPv4 address: ${address}`);
  return Uint8Array.from(parts);
}

function ipv6Bytes(address: string): Uint8Array {
  const [head = '', tail] = address.split('::');
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff))
    throw new SztpError('SZTP_ERR_DNS_DECODE', `not an IPv6 address: ${address}`);
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function writeRecord(w: Writer, r: RecordInput): void {
  w.name(r.name);
  w.u16(r.type);
  w.u16(r.rclass ?? DNS_CLASS_IN);
  w.u32(r.ttl ?? 0);
  const lengthAt = w.length;
  w.u16(0);
  const start = w.length;
  if (r.txt !== undefined) {
    for (const s of r.txt) {
      if (s.length > 255) throw new SztpError('SZTP_ERR_DNS_TXT', 'a TXT character-string is longer than 255 octets');
      w.u8(s.length);
      w.bytes(s);
    }
  } else if (r.srv !== undefined) {
    w.u16(r.srv.priority);
    w.u16(r.srv.weight);
    w.u16(r.srv.port);
    w.name(r.srv.target, false); // RFC 2782: no compression of the target
  } else if (r.address !== undefined) {
    w.bytes(r.type === DNS_TYPE.AAAA ? ipv6Bytes(r.address) : ipv4Bytes(r.address));
  } else {
    w.bytes(r.data ?? new Uint8Array(0));
  }
  const rdlength = w.length - start;
  if (rdlength > 0xffff)
    throw new SztpError('SZTP_ERR_DNS_TXT', 'a record is longer than 65535 octets (RFC 8572 §4.2.4: use a redirect)');
  w.setU16(lengthAt, rdlength);
}

/** Encodes a message (query or response), compressing names. */
export function encodeDnsMessage(m: MessageInput): Uint8Array {
  const w = new Writer();
  w.u16(m.id);
  const flags =
    (m.qr === true ? 0x8000 : 0) |
    (((m.opcode ?? 0) & 0xf) << 11) |
    (m.aa === true ? 0x400 : 0) |
    (m.tc === true ? 0x200 : 0) |
    (m.rd === true ? 0x100 : 0) |
    (m.ra === true ? 0x80 : 0) |
    ((m.rcode ?? 0) & 0xf);
  w.u16(flags);
  const qs = m.questions ?? [];
  const an = m.answers ?? [];
  const ns = m.authorities ?? [];
  const ar = m.additionals ?? [];
  for (const n of [qs.length, an.length, ns.length, ar.length]) w.u16(n);
  for (const q of qs) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.qclass);
  }
  for (const r of [...an, ...ns, ...ar]) writeRecord(w, r);
  return w.result();
}

/** Reads a possibly compressed name at `offset`; returns it and the offset after it in place. */
function readName(msg: Uint8Array, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let hops = 0;
  let octets = 1;
  for (;;) {
    const len = msg[pos];
    if (len === undefined) throw decodeError('name runs past the end of the message');
    if ((len & 0xc0) === 0xc0) {
      const low = msg[pos + 1];
      if (low === undefined) throw decodeError('truncated compression pointer');
      const target = ((len & 0x3f) << 8) | low;
      // Only backwards, and not too often: rules out loops.
      if (target >= pos) throw decodeError('compression pointer does not point backwards');
      if (++hops > DNS_LIMITS.maxPointerHops) throw decodeError('too many compression pointers');
      if (end < 0) end = pos + 2;
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw decodeError(`unsupported label type 0x${len.toString(16)}`);
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    octets += 1 + len;
    if (octets > DNS_LIMITS.maxNameOctets) throw decodeError('name longer than 255 octets');
    if (pos + 1 + len > msg.length) throw decodeError('label runs past the end of the message');
    labels.push(Buffer.from(msg.subarray(pos + 1, pos + 1 + len)).toString('latin1'));
    pos += 1 + len;
  }
  return { name: labels.join('.'), end };
}

function u16(msg: Uint8Array, at: number): number {
  const a = msg[at];
  const b = msg[at + 1];
  if (a === undefined || b === undefined) throw decodeError('truncated message');
  return (a << 8) | b;
}

function u32(msg: Uint8Array, at: number): number {
  return u16(msg, at) * 0x10000 + u16(msg, at + 2);
}

function ipv6Text(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)).toString(16));
  // RFC 5952 §4.2: the longest run (first of equals) of two or more zero groups becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function decodeRdata(
  msg: Uint8Array,
  type: number,
  start: number,
  data: Uint8Array,
): Pick<DnsRecord, 'txt' | 'srv' | 'address'> {
  switch (type) {
    case DNS_TYPE.TXT: {
      const txt: Uint8Array[] = [];
      let p = 0;
      while (p < data.length) {
        const len = data[p] ?? 0;
        if (p + 1 + len > data.length) throw decodeError('TXT character-string runs past its record');
        txt.push(data.slice(p + 1, p + 1 + len));
        p += 1 + len;
      }
      return { txt };
    }
    case DNS_TYPE.SRV: {
      if (data.length < 7) throw decodeError('SRV record shorter than 7 octets');
      const { name, end } = readName(msg, start + 6);
      if (end !== start + data.length) throw decodeError('SRV target does not end with its record');
      return { srv: { priority: u16(data, 0), weight: u16(data, 2), port: u16(data, 4), target: name } };
    }
    case DNS_TYPE.A:
      if (data.length !== 4) throw decodeError('A record is not 4 octets');
      return { address: Array.from(data).join('.') };
    case DNS_TYPE.AAAA:
      if (data.length !== 16) throw decodeError('AAAA record is not 16 octets');
      return { address: ipv6Text(data) };
    default:
      return {};
  }
}

/** Decodes a DNS message; throws SZTP_ERR_DNS_DECODE for anything malformed. */
export function decodeDnsMessage(msg: Uint8Array): DnsMessage {
  if (msg.length < 12) throw decodeError(`message of ${msg.length} octets is shorter than a header`);
  if (msg.length > 0xffff) throw decodeError('message longer than 65535 octets');
  const flags = u16(msg, 2);
  const [qd, an, ns, ar] = [u16(msg, 4), u16(msg, 6), u16(msg, 8), u16(msg, 10)];
  if (qd > DNS_LIMITS.maxQuestions) throw decodeError(`${qd} questions`);
  if (an + ns + ar > DNS_LIMITS.maxRecords)
    throw decodeError(`${an + ns + ar} records (limit ${DNS_LIMITS.maxRecords})`);
  let pos = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qd; i++) {
    const { name, end } = readName(msg, pos);
    questions.push({ name, type: u16(msg, end), qclass: u16(msg, end + 2) });
    pos = end + 4;
  }
  const section = (count: number): DnsRecord[] => {
    const out: DnsRecord[] = [];
    for (let i = 0; i < count; i++) {
      const { name, end } = readName(msg, pos);
      const type = u16(msg, end);
      const rclass = u16(msg, end + 2);
      const ttl = u32(msg, end + 4);
      const rdlength = u16(msg, end + 8);
      const start = end + 10;
      if (start + rdlength > msg.length) throw decodeError('record data runs past the end of the message');
      const data = msg.slice(start, start + rdlength);
      out.push({ name, type, rclass, ttl, data, ...decodeRdata(msg, type, start, data) });
      pos = start + rdlength;
    }
    return out;
  };
  const answers = section(an);
  const authorities = section(ns);
  const additionals = section(ar);
  return {
    id: u16(msg, 0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    aa: (flags & 0x400) !== 0,
    tc: (flags & 0x200) !== 0,
    rd: (flags & 0x100) !== 0,
    ra: (flags & 0x80) !== 0,
    rcode: flags & 0xf,
    questions,
    answers,
    authorities,
    additionals,
  };
}

/** An EDNS(0) OPT pseudo-record (RFC 6891 §6.1.2) advertising `udpPayload` octets. */
export function ednsOpt(udpPayload: number): RecordInput {
  return { name: '', type: DNS_TYPE.OPT, rclass: udpPayload, ttl: 0 };
}

/** The records of `section` that answer `name`/`type` in class IN (the mDNS cache-flush bit ignored). */
export function recordsFor(section: readonly DnsRecord[], name: string, type: number): DnsRecord[] {
  return section.filter((r) => r.type === type && (r.rclass & 0x7fff) === DNS_CLASS_IN && sameName(r.name, name));
}
