/**
 * One parsed X.509 certificate as the trust pipeline needs it (RFC 5280 §4.1–§4.2), parsed with
 * pkijs on asn1js: the pkijs `Certificate` (used by the chain-validation engine), raw issuer /
 * subject names and serial number (compared with CMS identifiers and CRLs), the extensions
 * KeyUsage, BasicConstraints, SubjectKeyIdentifier and AuthorityKeyIdentifier as pkijs decodes
 * them (RFC 8572 §3.2 owner KeyUsage, T-18 AKI), and the public key as a node KeyObject for CMS
 * signature verification. Each certificate is parsed once per validation.
 * @module
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { SztpErrorCode, ValidationStep } from '../../errors.ts';
import { decodeBer, decodeProblem, guard, octetsOf, toHex } from '../asn1.ts';
import { inert } from '../../lib/inert-text.ts';
import { OID, SUPPORTED_CRITICAL_EXTENSIONS } from '../oids.ts';

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KU = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

export interface ParsedCert {
  readonly der: Uint8Array;
  readonly cert: pkijs.Certificate;
  readonly publicKey: KeyObject;
  readonly subject: string;
  readonly issuer: string;
  readonly serialHex: string;
  /** INTEGER content octets of serialNumber. */
  readonly serial: Uint8Array;
  /** Raw DER of the issuer and subject Names (compared bytewise with CMS identifiers). */
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** KeyUsage bits set, or undefined when the extension is absent. */
  readonly keyUsage: ReadonlySet<number> | undefined;
  /** BasicConstraints, or undefined when absent. */
  readonly basicConstraints: { readonly ca: boolean; readonly pathLen: number | undefined } | undefined;
  readonly subjectKeyId: Uint8Array | undefined;
  /** The whole AuthorityKeyIdentifier extnValue (DER SEQUENCE) and its raw keyIdentifier. */
  readonly authorityKeyId:
    { readonly extnValue: Uint8Array; readonly keyIdentifier: Uint8Array | undefined } | undefined;
  /** extendedKeyUsage purposes (OIDs), or undefined when the extension is absent. */
  readonly extKeyUsage: readonly string[] | undefined;
  /** True when the subject carries a serialNumber attribute (2.5.4.5; the IEEE 802.1AR IDevID profile). */
  readonly subjectHasSerialNumber: boolean;
  /** OIDs of critical extensions this agent does not process: the certificate is invalid (RFC 5280 §4.2). */
  readonly unknownCriticalExtensions: readonly string[];
}

export const ATTR_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.5': 'serialNumber',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.25': 'DC',
};

/** "O=Fixture Owner, CN=owner" (the order of the encoding, as node prints it). */
export function nameToString(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => {
      const v: unknown = (tv.value.valueBlock as { value?: unknown }).value;
      // Certificate names are attacker-chosen text: inert before they reach messages, logs and status.
      return `${ATTR_NAMES[tv.type] ?? tv.type}=${typeof v === 'string' ? inert(v, 256) : toHex((tv.value.valueBlock as { valueHexView?: Uint8Array }).valueHexView ?? new Uint8Array())}`;
    })
    .join(', ');
}

function intValue(v: number | asn1js.Integer | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  const n = v.valueBlock.valueDec;
  return Number.isFinite(n) && n >= 0 ? n : 65535;
}

/**
 * Builds the view of an already parsed pkijs certificate whose DER is `der`. The node KeyObject is
 * made on first use (only CMS signers and the IDevID need one); a bad key then fails at `step`.
 */
export function fromPkijs(cert: pkijs.Certificate, der: Uint8Array, step: ValidationStep, what: string): ParsedCert {
  let keyUsage: Set<number> | undefined;
  let basicConstraints: ParsedCert['basicConstraints'];
  let subjectKeyId: Uint8Array | undefined;
  let authorityKeyId: ParsedCert['authorityKeyId'];
  let extKeyUsage: string[] | undefined;
  const unknownCriticalExtensions: string[] = [];
  for (const ext of cert.extensions ?? []) {
    if (ext.critical && !SUPPORTED_CRITICAL_EXTENSIONS.has(ext.extnID)) unknownCriticalExtensions.push(ext.extnID);
    const pv: unknown = ext.parsedValue;
    if (pv === undefined || (typeof pv === 'object' && pv !== null && 'parsingError' in pv)) {
      // pkijs could not decode the value: fatal for a critical extension (RFC 5280 §4.2), else ignored.
      if (ext.critical) throw decodeProblem(`malformed critical extension ${ext.extnID}`);
      continue;
    }
    if (ext.extnID === OID.extKeyUsage && pv instanceof asn1js.BitString) {
      const bits = pv.valueBlock.valueHexView;
      keyUsage = new Set<number>();
      for (let i = 0; i < bits.length * 8 && i < 16; i++)
        if (((bits[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) keyUsage.add(i);
    } else if (ext.extnID === OID.extBasicConstraints && pv instanceof pkijs.BasicConstraints) {
      basicConstraints = { ca: pv.cA, pathLen: intValue(pv.pathLenConstraint) };
    } else if (ext.extnID === OID.extSubjectKeyId && pv instanceof asn1js.OctetString) {
      subjectKeyId = octetsOf(pv);
    } else if (ext.extnID === OID.extAuthorityKeyId && pv instanceof pkijs.AuthorityKeyIdentifier) {
      authorityKeyId = {
        extnValue: octetsOf(ext.extnValue),
        keyIdentifier: pv.keyIdentifier === undefined ? undefined : octetsOf(pv.keyIdentifier),
      };
    } else if (ext.extnID === OID.extExtKeyUsage && pv instanceof pkijs.ExtKeyUsage) {
      extKeyUsage = [...pv.keyPurposes];
    }
  }
  let publicKey: KeyObject | undefined;
  const serial = cert.serialNumber.valueBlock.valueHexView;
  return {
    der,
    cert,
    get publicKey(): KeyObject {
      publicKey ??= guard(step, 'SZTP_ERR_CMS_DECODE', `${what} public key`, () =>
        createPublicKey({
          key: Buffer.from(cert.subjectPublicKeyInfo.toSchema().toBER(false)),
          format: 'der',
          type: 'spki',
        }),
      );
      return publicKey;
    },
    subject: nameToString(cert.subject),
    issuer: nameToString(cert.issuer),
    serialHex: toHex(serial),
    serial,
    issuerDer: new Uint8Array(cert.issuer.valueBeforeDecode),
    subjectDer: new Uint8Array(cert.subject.valueBeforeDecode),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    keyUsage,
    basicConstraints,
    subjectKeyId,
    authorityKeyId,
    extKeyUsage,
    subjectHasSerialNumber: cert.subject.typesAndValues.some((tv) => tv.type === OID.attrSerialNumber),
    unknownCriticalExtensions,
  };
}

/** Parses a DER certificate; failures raise `code` (default SZTP_ERR_CMS_DECODE) at `step`. */
export function parseCertificate(
  der: Uint8Array,
  step: ValidationStep,
  what: string,
  code: SztpErrorCode = 'SZTP_ERR_CMS_DECODE',
): ParsedCert {
  const block = decodeBer(der, step, what, code);
  return guard(step, code, what, () => fromPkijs(new pkijs.Certificate({ schema: block }), der, step, what));
}

/** Parses the certificates of a CMS (DER + pkijs object pairs), reusing `known` parses by DER. */
export function certificatesFrom(
  items: readonly { readonly der: Uint8Array; readonly cert: pkijs.Certificate }[],
  step: ValidationStep,
  what: string,
  known: readonly ParsedCert[] = [],
): ParsedCert[] {
  return items.map(
    (it, i) =>
      known.find((k) => Buffer.compare(k.der, it.der) === 0) ??
      guard(step, 'SZTP_ERR_CMS_DECODE', `${what} certificate #${i}`, () =>
        fromPkijs(it.cert, it.der, step, `${what} certificate #${i}`),
      ),
  );
}

/** Evidence describing a certificate (subject, issuer, serial, SKI). */
export function certEvidence(c: ParsedCert): Record<string, string> {
  const e: Record<string, string> = { subject: c.subject, serial: c.serialHex, issuer: c.issuer };
  if (c.subjectKeyId) e.subjectKeyIdentifier = toHex(c.subjectKeyId);
  return e;
}

/** Names chain (`issuer` is named as the issuer of `cert`); no signature check. Never throws. */
export function namesChain(cert: ParsedCert, issuer: ParsedCert): boolean {
  try {
    return cert.cert.issuer.isEqual(issuer.cert.subject);
  } catch {
    return false;
  }
}
