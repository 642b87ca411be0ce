/**
 * Revocation checking with CRLs stapled in the owner-certificate artifact (RFC 8572 §3.2, §5.4;
 * RFC 8366 `domain-cert-revocation-checks` tri-state, T-17). The CRL must be issued and signed by
 * the issuer of the certificate it covers and, when the clock is trusted, be current
 * (thisUpdate ≤ now < nextUpdate). No network fetches ever happen here.
 * @module
 */
import type * as pkijs from 'pkijs';
import type { ValidationStep } from '../../errors.ts';
import { signatureScheme, verifySignature } from '../cms/algorithms.ts';
import type { ParsedCert } from './certificate.ts';

export type RevocationStatus = 'good' | 'revoked' | 'unknown';

export interface RevocationOptions {
  readonly now: Date;
  readonly clockTrusted: boolean;
  readonly step: ValidationStep;
}

function crlSignedBy(crl: pkijs.CertificateRevocationList, issuer: ParsedCert, step: ValidationStep): boolean {
  try {
    if (!crl.issuer.isEqual(issuer.pkijs.subject)) return false;
    const scheme = signatureScheme(crl.signatureAlgorithm, undefined, step);
    return verifySignature(scheme, issuer.publicKey, crl.tbsView, new Uint8Array(crl.signatureValue.valueBlock.valueHexView), step);
  } catch {
    return false;
  }
}

function current(crl: pkijs.CertificateRevocationList, o: RevocationOptions): boolean {
  if (!o.clockTrusted) return true;
  const now = o.now.getTime();
  const next = crl.nextUpdate?.value.getTime();
  return crl.thisUpdate.value.getTime() <= now && next !== undefined && now < next;
}

/** Status of `cert` (issued by `issuer`) according to the stapled CRLs. */
export function revocationStatus(cert: ParsedCert, issuer: ParsedCert, crls: readonly pkijs.CertificateRevocationList[], o: RevocationOptions): RevocationStatus {
  let good = false;
  for (const crl of crls) {
    if (!crlSignedBy(crl, issuer, o.step) || !current(crl, o)) continue;
    const revoked = (crl.revokedCertificates ?? []).some((r) => r.userCertificate.isEqual(cert.pkijs.serialNumber));
    if (revoked) return 'revoked';
    good = true;
  }
  return good ? 'good' : 'unknown';
}
