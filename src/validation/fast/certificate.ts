/**
 * The fast path's X.509 certificate reader (RFC 5280 §4.1–§4.2) over the strict DER reader: the
 * same {@link ParsedCert} view as x509/certificate.ts builds from pkijs, field for field (the
 * differential tests in test/unit/validation/fast.test.ts compare them), with the pkijs
 * `Certificate` itself parsed only if something asks for it. It reads v3 certificates whose
 * names are UTF8/Printable/IA5/Numeric/Visible strings of printable ASCII and whose extensions are KeyUsage,
 * BasicConstraints, Subject/Authority Key Identifier and extendedKeyUsage (critical only for
 * KeyUsage, BasicConstraints and extendedKeyUsage), other non-critical extensions ignored as
 * pkijs's view ignores them. Certificate policies, policy mappings/constraints, inhibitAnyPolicy
 * and name constraints (which the chain engine processes) and anything else unusual throw: the
 * caller falls back to pkijs.
 * @module
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';
import { decodeBer, toHex } from '../asn1.ts';
import { inert } from '../../lib/inert-text.ts';
import { OID } from '../oids.ts';
import { ATTR_NAMES, type ParsedCert } from '../x509/certificate.ts';
import {
  TAG,
  bitStringBytes,
  contentOf,
  expect,
  oidOf,
  primitive,
  rawOf,
  readRoot,
  smallInt,
  unsupported,
  type Tlv,
} from '../../lib/der.ts';

/** Extensions the chain engine acts on (policies, name constraints): the fast path leaves those to pkijs. */
const ENGINE_EXTENSIONS: ReadonlySet<string> = new Set([
  '2.5.29.30',
  '2.5.29.32',
  '2.5.29.33',
  '2.5.29.36',
  '2.5.29.54',
]);
const CRITICAL_OK: ReadonlySet<string> = new Set([OID.extKeyUsage, OID.extBasicConstraints, OID.extExtKeyUsage]);
const STRING_TAGS: ReadonlySet<number> = new Set([TAG.utf8, TAG.printable, TAG.ia5, TAG.numeric, TAG.visible]);

/** A fast-parsed certificate plus what only the fast path uses. */
export interface FastCert extends ParsedCert {
  /** The tbsCertificate DER, its outer signatureAlgorithm OID (equal to the inner one) and signature. */
  readonly tbs: Uint8Array;
  readonly signatureOid: string;
  readonly signature: Uint8Array;
  /** Case- and blank-insensitive renderings of the names: only for noticing names pkijs might equate. */
  readonly looseIssuer: string;
  readonly looseSubject: string;
}

/**
 * Public keys made from SubjectPublicKeyInfo DER, per process (issue 15: cache imported keys per
 * certificate; node's createPublicKey costs about as much as an RSA verification). Keyed by the
 * whole SPKI encoding, so a hit is the same key; the oldest entries go beyond 64.
 */
const KEYS = new Map<string, KeyObject>();
const MAX_KEYS = 64;

function publicKeyOf(spki: Uint8Array): KeyObject {
  const id = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength).toString('latin1');
  let key = KEYS.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    KEYS.set(id, key);
    if (KEYS.size > MAX_KEYS) KEYS.delete(KEYS.keys().next().value ?? id);
  }
  return key;
}

interface NameView {
  readonly text: string;
  readonly loose: string;
  readonly hasSerialNumber: boolean;
}

/**
 * Printable ASCII only: pkijs compares names with localeCompare, under which distinct non-ASCII
 * strings can be equal; for printable ASCII its comparison and our loose key agree.
 */
function stringValue(t: Tlv): string {
  const c = contentOf(t);
  if (!STRING_TAGS.has(t.tag) || c.some((x) => x > 0x7e || x < 0x20))
    throw unsupported('name attribute is not a printable ASCII string');
  return String.fromCharCode(...c);
}

/** Renders a Name as x509/certificate.ts's nameToString does, RDNs flattened in encoding order. */
function readName(t: Tlv | undefined): NameView {
  const parts: string[] = [];
  const loose: string[] = [];
  let hasSerialNumber = false;
  for (const rdn of expect(t, TAG.sequence)) {
    for (const atv of expect(rdn, TAG.set, 1)) {
      const [type, value] = expect(atv, TAG.sequence, 2, 2);
      const oid = oidOf(type);
      if (value === undefined) throw unsupported('name attribute without value');
      const v = stringValue(value);
      if (oid === OID.attrSerialNumber) hasSerialNumber = true;
      parts.push(`${ATTR_NAMES[oid] ?? oid}=${inert(v, 256)}`);
      loose.push(`${oid}=${v.toLowerCase().replace(/\s+/g, '')}`);
    }
  }
  return { text: parts.join(', '), loose: loose.join('/'), hasSerialNumber };
}

const TIME_RE = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

function readTime(t: Tlv | undefined): Date {
  if (t === undefined || (t.tag !== TAG.utcTime && t.tag !== TAG.generalizedTime))
    throw unsupported('validity time type');
  const s = String.fromCharCode(...contentOf(t));
  const m = TIME_RE.exec(s);
  if (m === null || (t.tag === TAG.utcTime) !== (s.length === 13)) throw unsupported('validity time format');
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  const year = t.tag === TAG.utcTime ? (y >= 50 ? 1900 + y : 2000 + y) : y;
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, se));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 59)
    throw unsupported('validity time out of range');
  return date;
}

/** AlgorithmIdentifier's OID and raw encoding (parameters are compared as bytes, never interpreted here). */
function algOf(t: Tlv | undefined): { oid: string; raw: Uint8Array } {
  const [oid] = expect(t, TAG.sequence, 1, 2);
  if (t === undefined) throw unsupported('no algorithm');
  return { oid: oidOf(oid), raw: rawOf(t) };
}

interface Extensions {
  keyUsage?: Set<number>;
  basicConstraints?: ParsedCert['basicConstraints'];
  subjectKeyId?: Uint8Array;
  authorityKeyId?: ParsedCert['authorityKeyId'];
  extKeyUsage?: string[];
}

function readExtension(oid: string, value: Tlv, ext: Extensions): void {
  if (oid === OID.extKeyUsage) {
    const c = primitive(value, TAG.bitString);
    if (c.byteLength < 2 || (c[0] ?? 8) > 7) throw unsupported('KeyUsage encoding');
    const bits = c.subarray(1);
    ext.keyUsage = new Set<number>();
    for (let i = 0; i < bits.length * 8 && i < 16; i++)
      if (((bits[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) ext.keyUsage.add(i);
  } else if (oid === OID.extBasicConstraints) {
    const kids = expect(value, TAG.sequence, 0, 2);
    let at = 0;
    let ca = false;
    if (kids[0]?.tag === TAG.boolean) {
      const c = contentOf(kids[0]);
      if (c.byteLength !== 1 || c[0] !== 0xff) throw unsupported('BasicConstraints cA encoding');
      ca = true;
      at = 1;
    }
    const pl = kids[at];
    if (kids.length > at + 1) throw unsupported('BasicConstraints elements');
    ext.basicConstraints = { ca, pathLen: pl === undefined ? undefined : smallInt(pl) };
  } else if (oid === OID.extSubjectKeyId) {
    ext.subjectKeyId = primitive(value, TAG.octetString);
  } else if (oid === OID.extAuthorityKeyId) {
    const kids = expect(value, TAG.sequence, 1, 3);
    const keyId = kids[0];
    if (keyId?.tag !== 0x80) throw unsupported('AuthorityKeyIdentifier without keyIdentifier');
    ext.authorityKeyId = { extnValue: rawOf(value), keyIdentifier: contentOf(keyId) };
  } else if (oid === OID.extExtKeyUsage) {
    ext.extKeyUsage = expect(value, TAG.sequence, 1).map(oidOf);
  }
}

function readExtensions(t: Tlv | undefined): Extensions {
  const ext: Extensions = {};
  if (t === undefined) return ext;
  const [list] = expect(t, 0xa3, 1, 1);
  const seen = new Set<string>();
  for (const e of expect(list, TAG.sequence, 1)) {
    const kids = expect(e, TAG.sequence, 2, 3);
    const oid = oidOf(kids[0]);
    let critical = false;
    if (kids.length === 3) {
      const c = primitive(kids[1], TAG.boolean);
      if (c.byteLength !== 1 || c[0] !== 0xff) throw unsupported('extension critical flag encoding');
      critical = true;
    }
    if (seen.has(oid)) throw unsupported(`duplicate extension ${oid}`);
    seen.add(oid);
    if (ENGINE_EXTENSIONS.has(oid)) throw unsupported(`extension ${oid} is left to the chain engine`);
    if (critical && !CRITICAL_OK.has(oid)) throw unsupported(`critical extension ${oid}`);
    const octets = primitive(kids[kids.length - 1], TAG.octetString);
    readExtension(oid, readRoot(octets), ext);
  }
  return ext;
}

/**
 * Reads a DER certificate, or throws (the caller falls back to pkijs). `checked`: its DER tree was
 * already checked as part of an enclosing structure (fast/der.ts readRoot).
 */
export function fastCertificate(der: Uint8Array, checked = false): FastCert {
  const [tbsEl, sigAlgEl, sigEl] = expect(readRoot(der, checked), TAG.sequence, 3, 3);
  const tbsKids = expect(tbsEl, TAG.sequence, 7, 8);
  const [version, serialEl, innerAlg, issuerEl, validity, subjectEl, spki, extEl] = tbsKids;
  const [v] = expect(version, 0xa0, 1, 1);
  if (smallInt(v) !== 2) throw unsupported('not a v3 certificate');
  const serial = primitive(serialEl, TAG.integer);
  if (serial.byteLength === 0) throw unsupported('empty serial number');
  const inner = algOf(innerAlg);
  const outer = algOf(sigAlgEl);
  if (Buffer.compare(inner.raw, outer.raw) !== 0) throw unsupported('inner and outer signature algorithms differ');
  const [nb, na] = expect(validity, TAG.sequence, 2, 2);
  const [spkiAlg, spkiKey] = expect(spki, TAG.sequence, 2, 2);
  algOf(spkiAlg);
  bitStringBytes(spkiKey);
  if (tbsEl === undefined || issuerEl === undefined || subjectEl === undefined || spki === undefined)
    throw unsupported('incomplete certificate');
  const issuer = readName(issuerEl);
  const subject = readName(subjectEl);
  const ext = readExtensions(extEl);
  const spkiDer = rawOf(spki);
  let publicKey: KeyObject | undefined;
  let cert: pkijs.Certificate | undefined;
  return {
    der,
    get cert(): pkijs.Certificate {
      cert ??= new pkijs.Certificate({ schema: decodeBer(der, 'voucher', 'certificate') });
      return cert;
    },
    get publicKey(): KeyObject {
      publicKey ??= publicKeyOf(spkiDer);
      return publicKey;
    },
    subject: subject.text,
    issuer: issuer.text,
    serialHex: toHex(serial),
    serial,
    issuerDer: rawOf(issuerEl),
    subjectDer: rawOf(subjectEl),
    notBefore: readTime(nb),
    notAfter: readTime(na),
    keyUsage: ext.keyUsage,
    basicConstraints: ext.basicConstraints,
    subjectKeyId: ext.subjectKeyId,
    authorityKeyId: ext.authorityKeyId,
    extKeyUsage: ext.extKeyUsage,
    subjectHasSerialNumber: subject.hasSerialNumber,
    unknownCriticalExtensions: [],
    tbs: rawOf(tbsEl),
    signatureOid: outer.oid,
    signature: bitStringBytes(sigEl),
    looseIssuer: issuer.loose,
    looseSubject: subject.loose,
  };
}

/** Trust anchors and the IDevID, read once per process (issue 15); keyed by their whole DER. */
const ANCHORS = new Map<string, FastCert>();

/**
 * {@link fastCertificate} for certificates that come from the configuration rather than from a
 * bundle (voucher trust anchors, the IDevID): the same bytes give the same parse, so it is kept,
 * made from a private copy of the DER that no caller can change afterwards. At most 32 entries.
 */
export function fastConfiguredCertificate(der: Uint8Array): FastCert {
  const id = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
  let cert = ANCHORS.get(id);
  if (cert === undefined) {
    cert = fastCertificate(Uint8Array.from(der));
    if (ANCHORS.size >= 32) ANCHORS.clear();
    ANCHORS.set(id, cert);
  }
  return cert;
}
