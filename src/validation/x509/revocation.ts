/**
 * Revocation checking with CRLs stapled in the owner-certificate artifact (RFC 8572 §3.2, §5.4;
 * RFC 8366 `domain-cert-revocation-checks` tri-state, T-17; RFC 5280 §5 CRL format). CRLs are
 * parsed, signature-checked and searched with pkijs (`CertificateRevocationList.verify`,
 * `isCertificateRevoked`). A CRL counts only when issued and signed by the issuer of the
 * certificate it covers (with cRLSign if that issuer has KeyUsage) and, when the clock is trusted, current (thisUpdate ≤ now < nextUpdate).
 * No network fetches ever happen here. (The tri-state policy is ours: pkijs's engine-side CRL
 * handling cannot express "absent = honour stapled CRLs but require none" — it fails when the
 * issuer advertises a CRL distribution point or AIA — ignores thisUpdate, accepts CRLs without
 * nextUpdate, and would tie CRL freshness to the engine's checkDate, which the untrusted-clock
 * mode moves.)
 * @module
 */
import type * as pkijs from 'pkijs';
import type { ValidationStep } from '../../errors.ts';
import { algIdOf, signatureScheme } from '../cms/algorithms.ts';
import { KU, type ParsedCert } from './certificate.ts';

export type RevocationStatus = 'good' | 'revoked' | 'unknown';

export interface ParsedCrl {
  readonly crl: pkijs.CertificateRevocationList;
}

export interface RevocationOptions {
  readonly now: Date;
  readonly clockTrusted: boolean;
  readonly step: ValidationStep;
}

async function crlSignedBy(crl: ParsedCrl, issuer: ParsedCert, step: ValidationStep): Promise<boolean> {
  try {
    if (!crl.crl.issuer.isEqual(issuer.cert.subject)) return false;
    if (issuer.keyUsage !== undefined && !issuer.keyUsage.has(KU.cRLSign)) return false; // RFC 5280 §4.2.1.3
    signatureScheme(algIdOf(crl.crl.signatureAlgorithm), undefined, step); // MD5/SHA-1/unknown → not usable
    return await crl.crl.verify({ issuerCertificate: issuer.cert });
  } catch {
    return false;
  }
}

function current(crl: ParsedCrl, o: RevocationOptions): boolean {
  if (!o.clockTrusted) return true;
  const now = o.now.getTime();
  const next = crl.crl.nextUpdate?.value;
  return crl.crl.thisUpdate.value.getTime() <= now && next !== undefined && now < next.getTime();
}

/** Status of `cert` (issued by `issuer`) according to the stapled CRLs. */
export async function revocationStatus(
  cert: ParsedCert,
  issuer: ParsedCert,
  crls: readonly ParsedCrl[],
  o: RevocationOptions,
): Promise<RevocationStatus> {
  let good = false;
  for (const crl of crls) {
    if (!current(crl, o) || !(await crlSignedBy(crl, issuer, o.step))) continue;
    let revoked: boolean;
    try {
      revoked = crl.crl.isCertificateRevoked(cert.cert);
    } catch {
      continue;
    }
    if (revoked) return 'revoked';
    good = true;
  }
  return good ? 'good' : 'unknown';
}
