/**
 * A minimal, allocation-light BER/DER reader for the trust pipeline (X.690): tag, length (definite
 * or indefinite, RFC 8572 T-14), children, OBJECT IDENTIFIER, INTEGER and OCTET STRING content
 * (constructed segments concatenated). Bounded: nesting depth and element count are capped, every
 * length is checked against the buffer. Errors are {@link DerError}; callers turn them into coded
 * errors. Used instead of schema-matching parsers on the hot path (every server reply).
 * @module
 */

export class DerError extends Error {}

/** One decoded element; `children` are decoded lazily. */
export class Der {
  private kids: Der[] | undefined;
  constructor(
    readonly buf: Uint8Array,
    /** Offset of the identifier octet. */
    readonly start: number,
    /** Offset of the first content octet. */
    readonly contentStart: number,
    /** Offset after the content (before an EOC for indefinite lengths). */
    readonly contentEnd: number,
    /** Offset after the whole element (including the EOC for indefinite lengths). */
    readonly end: number,
    readonly cls: number,
    readonly constructed: boolean,
    readonly tag: number,
    readonly depth: number,
  ) {}

  /** The raw encoding of the whole element. */
  get raw(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }
  /** The content octets (primitive) or the encoding of the children (constructed). */
  get content(): Uint8Array {
    return this.buf.subarray(this.contentStart, this.contentEnd);
  }
  is(cls: number, tag: number): boolean {
    return this.cls === cls && this.tag === tag;
  }
  get children(): Der[] {
    if (this.kids !== undefined) return this.kids;
    if (!this.constructed) throw new DerError('primitive element has no children');
    const out: Der[] = [];
    let at = this.contentStart;
    while (at < this.contentEnd) {
      const c = readDer(this.buf, at, this.depth + 1, this.contentEnd);
      out.push(c);
      at = c.end;
      if (out.length > 10_000) throw new DerError('too many elements');
    }
    this.kids = out;
    return out;
  }
  child(i: number): Der {
    const c = this.children[i];
    if (c === undefined) throw new DerError(`missing element #${i}`);
    return c;
  }
}

const MAX_DEPTH = 48;

/** Reads one element at `at`, not beyond `limit`. */
export function readDer(buf: Uint8Array, at: number, depth = 0, limit = buf.length): Der {
  if (depth > MAX_DEPTH) throw new DerError('nesting too deep');
  const start = at;
  const need = (n: number): void => { if (at + n > limit) throw new DerError('truncated element'); };
  need(1);
  const id = buf[at++] ?? 0;
  const cls = id >> 6;
  const constructed = (id & 0x20) !== 0;
  let tag = id & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let i = 0; ; i++) {
      need(1);
      const b = buf[at++] ?? 0;
      if (i > 3) throw new DerError('tag number too large');
      tag = (tag << 7) | (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  need(1);
  const l0 = buf[at++] ?? 0;
  if (l0 === 0x80) {
    if (!constructed) throw new DerError('indefinite length on a primitive element');
    const contentStart = at;
    // Walk children until the end-of-contents octets.
    for (;;) {
      need(2);
      if (buf[at] === 0 && buf[at + 1] === 0) {
        const el = new Der(buf, start, contentStart, at, at + 2, cls, constructed, tag, depth);
        return el;
      }
      at = readDer(buf, at, depth + 1, limit).end;
    }
  }
  let len = l0;
  if (l0 & 0x80) {
    const n = l0 & 0x7f;
    if (n === 0 || n > 4) throw new DerError('unsupported length encoding');
    need(n);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[at++] ?? 0);
  }
  need(len);
  return new Der(buf, start, at, at + len, at + len, cls, constructed, tag, depth);
}

/** Decodes a whole buffer as one element (no trailing bytes). */
export function parseDer(buf: Uint8Array): Der {
  const d = readDer(buf, 0);
  if (d.end !== buf.length) throw new DerError(`${buf.length - d.end} trailing bytes`);
  return d;
}

export const UNIVERSAL = 0;
export const CONTEXT = 2;
export const T = { INTEGER: 2, BIT_STRING: 3, OCTET_STRING: 4, NULL: 5, OID: 6, SEQUENCE: 16, SET: 17, UTC_TIME: 23, GENERALIZED_TIME: 24, BOOLEAN: 1 } as const;

export function expect(d: Der, tag: number, what: string, cls = UNIVERSAL): Der {
  if (d.cls !== cls || d.tag !== tag) throw new DerError(`${what}: unexpected tag [${d.cls}:${d.tag}]`);
  return d;
}

/** Dotted OBJECT IDENTIFIER. */
export function oidOf(d: Der): string {
  expect(d, T.OID, 'OBJECT IDENTIFIER');
  const c = d.content;
  if (c.length === 0 || c.length > 64) throw new DerError('bad OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let v = 0;
  for (const b of c) {
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 256) throw new DerError('OID arc too large');
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  if ((c[c.length - 1] ?? 0) & 0x80) throw new DerError('truncated OID');
  return arcs.join('.');
}

/** OCTET STRING content, constructed (BER) segments concatenated. */
export function octets(d: Der): Uint8Array {
  expect(d, T.OCTET_STRING, 'OCTET STRING', d.cls);
  if (!d.constructed) return d.content;
  const parts: Uint8Array[] = [];
  const walk = (x: Der): void => {
    if (x.constructed) for (const c of x.children) walk(c);
    else parts.push(x.content);
  };
  walk(d);
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Small non-negative INTEGER as a number (e.g. versions, salt lengths). */
export function smallInt(d: Der): number {
  expect(d, T.INTEGER, 'INTEGER');
  const c = d.content;
  if (c.length === 0 || c.length > 4 || ((c[0] ?? 0) & 0x80) !== 0) throw new DerError('INTEGER out of range');
  let v = 0;
  for (const b of c) v = v * 256 + b;
  return v;
}

/** BIT STRING content without the unused-bits octet (which is returned separately). */
export function bitString(d: Der): { readonly unused: number; readonly bits: Uint8Array } {
  expect(d, T.BIT_STRING, 'BIT STRING');
  const c = d.content;
  if (d.constructed || c.length === 0 || (c[0] ?? 0) > 7) throw new DerError('bad BIT STRING');
  return { unused: c[0] ?? 0, bits: c.subarray(1) };
}

/** UTCTime / GeneralizedTime → Date. */
export function timeOf(d: Der): Date {
  const s = new TextDecoder('latin1').decode(d.content);
  let m: RegExpExecArray | null;
  if (d.is(UNIVERSAL, T.UTC_TIME) && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    const y = Number(m[1]);
    return new Date(Date.UTC(y < 50 ? 2000 + y : 1900 + y, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  if (d.is(UNIVERSAL, T.GENERALIZED_TIME) && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s))) {
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  throw new DerError('bad time');
}

/** An AlgorithmIdentifier: OID and optional parameters element. */
export interface AlgId {
  readonly oid: string;
  readonly params: Der | undefined;
}

export function algId(d: Der): AlgId {
  expect(d, T.SEQUENCE, 'AlgorithmIdentifier');
  const p = d.children[1];
  return { oid: oidOf(d.child(0)), params: p === undefined || p.is(UNIVERSAL, T.NULL) ? undefined : p };
}

/** DER TLV encoder for the few structures we build (definite lengths). */
export function tlv(id: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out[0] = id;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}
