/**
 * The fast path's certification path check (RFC 5280 §6) for the simple bags the fast path takes
 * (see ./certificate.ts: no policies, no name constraints): from the leaf, each issuer is the ONE
 * certificate of the pool or the anchors whose subject is byte-equal to the issuer name (and whose
 * subjectKeyIdentifier matches the authorityKeyIdentifier when both are present), and verifies the
 * signature with node:crypto; the path ends at an anchor. Every certificate of the path, the
 * anchor included, is within its validity period (when the clock is trusted, as pkijs's chain
 * engine checks), every issuer is a CA (BasicConstraints cA, KeyUsage absent or keyCertSign, as
 * the engine's checkForCA), pathLenConstraint holds, and every signature relied on uses an
 * accepted algorithm (as x509/path.ts). Any ambiguity — more than one certificate that a name or
 * key identifier could designate, names equal only after case/blank folding, a self-issued leaf, a loop — throws
 * and the caller falls back to x509/path.ts. Returns the path [leaf, …] without the anchor.
 * @module
 */
import type { ValidationStep } from '../../errors.ts';
import { bytesEqual } from '../asn1.ts';
import { signatureScheme, verifySignature } from '../cms/algorithms.ts';
import { KU } from '../x509/certificate.ts';
import type { FastCert } from './certificate.ts';
import { unsupported } from '../../lib/der.ts';

export interface FastPathOptions {
  readonly now: Date;
  readonly checkValidity: boolean;
  readonly maxDepth: number;
  readonly step: ValidationStep;
}

export interface FastPath {
  readonly path: readonly FastCert[];
  readonly anchor: FastCert;
  readonly anchorIsLeaf: boolean;
}

function within(c: FastCert, now: Date): boolean {
  const t = now.getTime();
  return t >= c.notBefore.getTime() && t <= c.notAfter.getTime();
}

/**
 * The one issuer of `cert`. pkijs's findIssuer takes the certificates whose subjectKeyIdentifier
 * equals the authorityKeyIdentifier whatever their names, plus those without one whose names
 * match; every certificate either rule (or a loose name match) could pick must be the same one.
 */
function issuerOf(cert: FastCert, candidates: readonly FastCert[]): FastCert {
  const aki = cert.authorityKeyId?.keyIdentifier;
  const maybe = candidates.filter(
    (c) =>
      c.looseSubject === cert.looseIssuer ||
      (aki !== undefined && c.subjectKeyId !== undefined && bytesEqual(aki, c.subjectKeyId)),
  );
  const issuer = maybe[0];
  if (maybe.length !== 1 || issuer === undefined || !bytesEqual(issuer.subjectDer, cert.issuerDer))
    throw unsupported('issuer not unique');
  if (aki !== undefined && issuer.subjectKeyId !== undefined && !bytesEqual(aki, issuer.subjectKeyId))
    throw unsupported('key identifiers differ');
  return issuer;
}

function verifiedBy(cert: FastCert, issuer: FastCert, step: ValidationStep): void {
  const scheme = signatureScheme({ oid: cert.signatureOid, params: undefined }, undefined, step);
  if (!verifySignature(scheme, issuer.publicKey, cert.tbs, cert.signature, step))
    throw unsupported('certificate signature');
}

function isCa(c: FastCert): boolean {
  return c.basicConstraints?.ca === true && (c.keyUsage === undefined || c.keyUsage.has(KU.keyCertSign));
}

/** Validates `leaf` to one of `anchors` through `pool`; throws when it cannot vouch for the result. */
export function fastPath(
  leaf: FastCert,
  pool: readonly FastCert[],
  anchors: readonly FastCert[],
  o: FastPathOptions,
): FastPath {
  const pinned = anchors.find((a) => bytesEqual(a.der, leaf.der));
  if (pinned !== undefined) {
    if (o.checkValidity && !within(leaf, o.now)) throw unsupported('pinned certificate outside its validity');
    return { path: [leaf], anchor: pinned, anchorIsLeaf: true };
  }
  const intermediates = pool.filter(
    (c) => !bytesEqual(c.der, leaf.der) && !anchors.some((a) => bytesEqual(a.der, c.der) || bytesEqual(a.tbs, c.tbs)),
  );
  if (intermediates.length + 1 > o.maxDepth) throw unsupported('too many certificates');
  const everyone = [...anchors, ...intermediates, leaf];
  // pkijs de-duplicates and recognises anchors by TBS bytes: two certificates sharing one are left to it.
  if (everyone.some((a, i) => everyone.some((b, j) => j > i && bytesEqual(a.tbs, b.tbs))))
    throw unsupported('certificates share a TBS');
  const path: FastCert[] = [];
  for (let cert = leaf; ;) {
    if (cert.looseIssuer === cert.looseSubject || path.includes(cert) || path.length >= o.maxDepth)
      throw unsupported('self-issued or looping path');
    path.push(cert);
    const issuer = issuerOf(cert, everyone);
    verifiedBy(cert, issuer, o.step);
    if (!isCa(issuer)) throw unsupported('issuer is not a CA');
    const pl = issuer.basicConstraints?.pathLen;
    if (pl !== undefined && path.length - 1 > pl) throw unsupported('pathLenConstraint');
    if (anchors.includes(issuer)) {
      if (o.checkValidity && ![...path, issuer].every((c) => within(c, o.now))) throw unsupported('validity');
      return { path, anchor: issuer, anchorIsLeaf: false };
    }
    cert = issuer;
  }
}
