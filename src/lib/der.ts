/**
 * A strict DER reader (X.690 §10) for the fast path of the trust pipeline (src/validation/fast/)
 * and for start-up reads of configured certificates (src/platform/credentials.ts): definite
 * lengths in minimal form, single-byte tags, elements that end exactly where their parent ends.
 * It understands only what those need and throws on anything else (BER indefinite lengths,
 * constructed strings, high tag numbers, long OIDs); the fast path then falls back to the
 * asn1js/pkijs parsers of record (validation/fast/validate.ts). It never accepts on its own, and
 * loads neither asn1js nor pkijs (issue 15: `config`, `status` and the idle daemon do not).
 * @module
 */
import { SztpError } from '../errors.ts';

/** One element: its tag byte and where its header, content and end are in `b`. */
export interface Tlv {
  readonly b: Uint8Array;
  readonly tag: number;
  readonly start: number;
  readonly content: number;
  readonly end: number;
}

/** Anything the fast reader does not understand: the caller falls back to pkijs. */
export const unsupported = (why: string): Error => new SztpError('SZTP_ERR_CMS_DECODE', `fast path: ${why}`);

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8: 0x0c,
  printable: 0x13,
  ia5: 0x16,
  numeric: 0x12,
  visible: 0x1a,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Reads the element starting at `at`, which must end at or before `limit`. */
export function readTlv(b: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw unsupported('truncated element');
  const tag = b[at] ?? 0;
  if ((tag & 0x1f) === 0x1f) throw unsupported('high tag number');
  let len = b[at + 1] ?? 0;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit || b[p] === 0) throw unsupported('indefinite or non-minimal length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[p++] ?? 0);
    if (len < 0x80) throw unsupported('non-minimal length');
  }
  if (p + len > limit) throw unsupported('element runs past its parent');
  return { b, tag, start: at, content: p, end: p + len };
}

const PRIMITIVES: ReadonlySet<number> = new Set([
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x12, 0x13, 0x16, 0x17, 0x18, 0x1a,
]);
const TIME_TEXT = /^(\d{12}|\d{14})Z$/;

/**
 * The whole tree under `t` is plain DER of the universal types listed above (SEQUENCE and SET the
 * only constructed universal types; BOOLEAN, NULL, INTEGER, BIT STRING, OID and times well
 * formed), so asn1js reads everything the fast path reads.
 */
function checkTree(t: Tlv, depth: number): void {
  if (depth > 24) throw unsupported('nesting');
  const universal = (t.tag & 0xc0) === 0;
  if (t.tag & 0x20) {
    if (universal && t.tag !== 0x30 && t.tag !== 0x31) throw unsupported('constructed string or primitive type');
    for (const c of childrenOf(t)) checkTree(c, depth + 1);
    return;
  }
  if (!universal) return;
  const len = t.end - t.content;
  if (!PRIMITIVES.has(t.tag)) throw unsupported(`universal type ${t.tag}`);
  if (t.tag === 0x01 && len !== 1) throw unsupported('BOOLEAN length');
  if (t.tag === 0x05 && len !== 0) throw unsupported('NULL length');
  if (t.tag === 0x02 && len === 0) throw unsupported('empty INTEGER');
  if (t.tag === 0x03 && (len === 0 || (t.b[t.content] ?? 8) > 7)) throw unsupported('BIT STRING');
  if (t.tag === 0x06) walkOid(contentOf(t), () => undefined);
  if ((t.tag === 0x17 || t.tag === 0x18) && !TIME_TEXT.test(String.fromCharCode(...contentOf(t))))
    throw unsupported('time');
}

/**
 * The one element that makes up all of `b` (no trailing bytes), its whole tree checked unless
 * `checked` (it was, as part of an enclosing tree).
 */
export function readRoot(b: Uint8Array, checked = false): Tlv {
  const t = readTlv(b, 0, b.byteLength);
  if (t.end !== b.byteLength) throw unsupported('trailing bytes');
  if (!checked) checkTree(t, 0);
  return t;
}

/** The children of a constructed element, which must fill it exactly. */
export function childrenOf(t: Tlv): Tlv[] {
  if ((t.tag & 0x20) === 0) throw unsupported('primitive where constructed expected');
  const out: Tlv[] = [];
  for (let at = t.content; at < t.end;) {
    const c = readTlv(t.b, at, t.end);
    out.push(c);
    at = c.end;
  }
  return out;
}

/** Children of `t` (which must have tag `tag`), at least `min` and at most `max` of them. */
export function expect(t: Tlv | undefined, tag: number, min = 0, max = Infinity): Tlv[] {
  if (t?.tag !== tag) throw unsupported(`tag ${t?.tag.toString(16) ?? 'none'} where ${tag.toString(16)} expected`);
  const kids = childrenOf(t);
  if (kids.length < min || kids.length > max) throw unsupported(`${kids.length} elements in ${tag.toString(16)}`);
  return kids;
}

export const contentOf = (t: Tlv): Uint8Array => t.b.subarray(t.content, t.end);
export const rawOf = (t: Tlv): Uint8Array => t.b.subarray(t.start, t.end);

/** Content octets of a primitive element with tag `tag`. */
export function primitive(t: Tlv | undefined, tag: number): Uint8Array {
  if (t?.tag !== tag) throw unsupported(`tag ${t?.tag.toString(16) ?? 'none'} where ${tag.toString(16)} expected`);
  return contentOf(t);
}

/** Arcs of an OBJECT IDENTIFIER's content (below 2^31, minimal base-128), passed to `arc` in order. */
function walkOid(c: Uint8Array, arc: (v: number) => void): void {
  if (c.byteLength === 0 || c.byteLength > 64) throw unsupported('OID length');
  let v = 0;
  let fresh = true;
  for (const byte of c) {
    if (fresh && byte === 0x80) throw unsupported('non-minimal OID arc');
    v = v * 128 + (byte & 0x7f);
    if (v > 0x7fffffff) throw unsupported('OID arc too large');
    fresh = (byte & 0x80) === 0;
    if (fresh) {
      arc(v);
      v = 0;
    }
  }
  if (!fresh) throw unsupported('truncated OID');
}

/** Dotted OBJECT IDENTIFIER (arcs below 2^31, minimal base-128). */
export function oidOf(t: Tlv | undefined): string {
  let out = '';
  walkOid(primitive(t, TAG.oid), (v) => {
    out += out === '' ? (v < 40 ? `0.${v}` : v < 80 ? `1.${v - 40}` : `2.${v - 80}`) : `.${v}`;
  });
  return out;
}

/** A small non-negative INTEGER (one content byte, 0–127). */
export function smallInt(t: Tlv | undefined): number {
  const c = primitive(t, TAG.integer);
  const v = c[0];
  if (c.byteLength !== 1 || v === undefined || v > 0x7f) throw unsupported('INTEGER out of range');
  return v;
}

/** BIT STRING with no unused bits (signatures, public keys). */
export function bitStringBytes(t: Tlv | undefined): Uint8Array {
  const c = primitive(t, TAG.bitString);
  if (c[0] !== 0) throw unsupported('BIT STRING with unused bits');
  return c.subarray(1);
}
