/**
 * Revocation checking with CRLs stapled in the owner-certificate artifact (RFC 8572 §3.2, §5.4;
 * RFC 8366 `domain-cert-revocation-checks` tri-state, T-17; RFC 5280 §5 CRL format). The CRL must
 * be issued and signed by the issuer of the certificate it covers and, when the clock is trusted,
 * be current (thisUpdate ≤ now < nextUpdate). No network fetches ever happen here.
 * @module
 */
import type { ValidationStep } from '../../errors.ts';
import { bytesEqual, guard } from '../asn1.ts';
import { signatureScheme, verifySignature } from '../cms/algorithms.ts';
import { CONTEXT, T, UNIVERSAL, algId, bitString, expect, parseDer, timeOf, type AlgId } from '../der.ts';
import type { ParsedCert } from './certificate.ts';

export type RevocationStatus = 'good' | 'revoked' | 'unknown';

export interface ParsedCrl {
  readonly tbs: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** INTEGER content octets of every revoked serial number. */
  readonly revoked: readonly Uint8Array[];
  readonly signatureAlgorithm: AlgId;
  readonly signature: Uint8Array;
}

/** Parses a DER CertificateList. */
export function parseCrl(der: Uint8Array, step: ValidationStep, what: string): ParsedCrl {
  return guard(step, 'SZTP_ERR_CMS_DECODE', what, () => {
    const crl = expect(parseDer(der), T.SEQUENCE, 'CertificateList');
    const tbsEl = expect(crl.child(0), T.SEQUENCE, 'TBSCertList');
    const c = tbsEl.children;
    let i = c[0]?.is(UNIVERSAL, T.INTEGER) === true ? 1 : 0;
    i++; // signature
    const issuerDer = expect(c[i++] ?? tbsEl, T.SEQUENCE, 'issuer').raw;
    const thisUpdate = timeOf(c[i++] ?? tbsEl);
    let nextUpdate: Date | undefined;
    const n = c[i];
    if (n !== undefined && (n.is(UNIVERSAL, T.UTC_TIME) || n.is(UNIVERSAL, T.GENERALIZED_TIME))) {
      nextUpdate = timeOf(n);
      i++;
    }
    const list = c[i];
    const revoked = list !== undefined && list.is(UNIVERSAL, T.SEQUENCE) && !list.is(CONTEXT, 0)
      ? list.children.map((r) => expect(r.child(0), T.INTEGER, 'userCertificate').content)
      : [];
    return { tbs: tbsEl.raw, issuerDer, thisUpdate, nextUpdate, revoked, signatureAlgorithm: algId(crl.child(1)), signature: bitString(crl.child(2)).bits };
  });
}

export interface RevocationOptions {
  readonly now: Date;
  readonly clockTrusted: boolean;
  readonly step: ValidationStep;
}

function crlSignedBy(crl: ParsedCrl, issuer: ParsedCert, step: ValidationStep): boolean {
  try {
    if (!bytesEqual(crl.issuerDer, issuer.subjectDer)) return false;
    return verifySignature(signatureScheme(crl.signatureAlgorithm, undefined, step), issuer.publicKey, crl.tbs, crl.signature, step);
  } catch {
    return false;
  }
}

function current(crl: ParsedCrl, o: RevocationOptions): boolean {
  if (!o.clockTrusted) return true;
  const now = o.now.getTime();
  return crl.thisUpdate.getTime() <= now && crl.nextUpdate !== undefined && now < crl.nextUpdate.getTime();
}

/** Status of `cert` (issued by `issuer`) according to the stapled CRLs. */
export function revocationStatus(cert: ParsedCert, issuer: ParsedCert, crls: readonly ParsedCrl[], o: RevocationOptions): RevocationStatus {
  let good = false;
  for (const crl of crls) {
    if (!crlSignedBy(crl, issuer, o.step) || !current(crl, o)) continue;
    if (crl.revoked.some((s) => bytesEqual(s, cert.serial))) return 'revoked';
    good = true;
  }
  return good ? 'good' : 'unknown';
}
