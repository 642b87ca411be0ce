/**
 * One parsed X.509 certificate as the trust pipeline needs it (RFC 5280 §4.1–§4.2): node:crypto's
 * X509Certificate for signatures, validity and name chaining; our DER reader for the raw issuer /
 * subject names, serial number, SPKI algorithm and the extensions KeyUsage, BasicConstraints,
 * SubjectKeyIdentifier and AuthorityKeyIdentifier (RFC 8572 §3.2 owner KeyUsage, T-18 AKI).
 * @module
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { SztpErrorCode, ValidationStep } from '../../errors.ts';
import { guard, toHex } from '../asn1.ts';
import { CONTEXT, DerError, T, UNIVERSAL, bitString, expect, octets, oidOf, parseDer, type Der } from '../der.ts';
import { OID } from '../oids.ts';

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KU = { digitalSignature: 0, keyEncipherment: 2, keyAgreement: 4, keyCertSign: 5, cRLSign: 6 } as const;

export interface ParsedCert {
  readonly der: Uint8Array;
  readonly node: X509Certificate;
  readonly publicKey: KeyObject;
  readonly subject: string;
  readonly serialHex: string;
  /** INTEGER content octets of serialNumber. */
  readonly serial: Uint8Array;
  /** Raw DER of the issuer and subject Names (compared bytewise with CMS identifiers and CRLs). */
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  /** Raw DER of subjectPublicKeyInfo.algorithm (curve parameters for ECDH). */
  readonly spkiAlgorithmDer: Uint8Array;
  /** KeyUsage bits set, or undefined when the extension is absent. */
  readonly keyUsage: ReadonlySet<number> | undefined;
  /** BasicConstraints, or undefined when absent. */
  readonly basicConstraints: { readonly ca: boolean; readonly pathLen: number | undefined } | undefined;
  readonly subjectKeyId: Uint8Array | undefined;
  /** The whole AuthorityKeyIdentifier extnValue (DER SEQUENCE) and its raw keyIdentifier. */
  readonly authorityKeyId: { readonly extnValue: Uint8Array; readonly keyIdentifier: Uint8Array | undefined } | undefined;
}

interface Extensions {
  keyUsage?: Set<number>;
  basicConstraints?: ParsedCert['basicConstraints'];
  subjectKeyId?: Uint8Array;
  authorityKeyId?: ParsedCert['authorityKeyId'];
}

function readExtensions(list: Der): Extensions {
  const out: Extensions = {};
  for (const ext of expect(list, T.SEQUENCE, 'Extensions').children) {
    const id = oidOf(ext.child(0));
    const valueEl = ext.children[ext.children.length - 1];
    if (valueEl === undefined) throw new DerError('extension without value');
    const value = octets(valueEl);
    if (id === OID.extKeyUsage) {
      const { bits } = bitString(parseDer(value));
      const set = new Set<number>();
      for (let i = 0; i < bits.length * 8 && i < 16; i++) if (((bits[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) set.add(i);
      out.keyUsage = set;
    } else if (id === OID.extBasicConstraints) {
      const seq = expect(parseDer(value), T.SEQUENCE, 'BasicConstraints');
      let ca = false;
      let pathLen: number | undefined;
      for (const c of seq.children) {
        if (c.is(UNIVERSAL, T.BOOLEAN)) ca = (c.content[0] ?? 0) !== 0;
        else if (c.is(UNIVERSAL, T.INTEGER)) pathLen = c.content.length <= 2 ? c.content.reduce((v, b) => v * 256 + b, 0) : 65535;
      }
      out.basicConstraints = { ca, pathLen };
    } else if (id === OID.extSubjectKeyId) {
      out.subjectKeyId = octets(parseDer(value));
    } else if (id === OID.extAuthorityKeyId) {
      const seq = expect(parseDer(value), T.SEQUENCE, 'AuthorityKeyIdentifier');
      const kid = seq.children.find((c) => c.is(CONTEXT, 0));
      out.authorityKeyId = { extnValue: value, keyIdentifier: kid?.content };
    }
  }
  return out;
}

/** Parses a DER certificate; failures raise `code` (default SZTP_ERR_CMS_DECODE) at `step`. */
export function parseCertificate(der: Uint8Array, step: ValidationStep, what: string, code: SztpErrorCode = 'SZTP_ERR_CMS_DECODE'): ParsedCert {
  const node = guard(step, code, what, () => new X509Certificate(der));
  return guard(step, code, what, () => {
    const cert = expect(parseDer(der), T.SEQUENCE, 'Certificate');
    const tbs = expect(cert.child(0), T.SEQUENCE, 'TBSCertificate').children;
    let i = tbs[0]?.is(CONTEXT, 0) === true ? 1 : 0;
    const serialEl = expect(tbs[i++] ?? cert, T.INTEGER, 'serialNumber');
    i++; // signature
    const issuer = expect(tbs[i++] ?? cert, T.SEQUENCE, 'issuer');
    i++; // validity
    const subject = expect(tbs[i++] ?? cert, T.SEQUENCE, 'subject');
    const spki = expect(tbs[i++] ?? cert, T.SEQUENCE, 'subjectPublicKeyInfo');
    const extsEl = tbs.slice(i).find((c) => c.is(CONTEXT, 3));
    const ext = extsEl === undefined ? {} : readExtensions(extsEl.child(0));
    // node parses lazily: a malformed key or name only throws when first accessed.
    const publicKey = node.publicKey;
    if (node.validFrom === '' || node.validTo === '') throw new DerError('certificate without validity');
    return {
      der,
      node,
      publicKey,
      subject: node.subject.replace(/\n/g, ', '),
      serialHex: node.serialNumber.toLowerCase(),
      serial: serialEl.content,
      issuerDer: issuer.raw,
      subjectDer: subject.raw,
      spkiAlgorithmDer: spki.child(0).raw,
      keyUsage: ext.keyUsage,
      basicConstraints: ext.basicConstraints,
      subjectKeyId: ext.subjectKeyId,
      authorityKeyId: ext.authorityKeyId,
    };
  });
}

/** Evidence describing a certificate (subject, issuer, serial, SKI). */
export function certEvidence(c: ParsedCert): Record<string, string> {
  const e: Record<string, string> = { subject: c.subject, serial: c.serialHex, issuer: c.node.issuer.replace(/\n/g, ', ') };
  if (c.subjectKeyId) e.subjectKeyIdentifier = toHex(c.subjectKeyId);
  return e;
}

/** True when `issuer` issued `cert` (names, AKI/SKI and signature). Never throws. */
export function issuedBy(cert: ParsedCert, issuer: ParsedCert): boolean {
  try {
    return cert.node.checkIssued(issuer.node) && cert.node.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Names match (used to tell leaves from issuers in a bag without verifying signatures). */
export function namesChain(cert: ParsedCert, issuer: ParsedCert): boolean {
  try {
    return cert.node.checkIssued(issuer.node);
  } catch {
    return false;
  }
}
