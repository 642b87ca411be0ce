/**
 * Step 2 of RFC 8572 §5.4: the owner certificate. Opens the certs-only SignedData (as `openssl
 * crl2pkcs7 -nocrl` makes it; one carrying a signer is accepted too, the signer is ignored),
 * picks the owner end-entity certificate (the leaf of the bag; when several leaves validate, the
 * one that signed the conveyed information, RFC 8572 §3.2 allows extra certificates), validates its path with pkijs's
 * CertificateChainValidationEngine (x509/path.ts, leaf last) and the voucher's pinned-domain-cert
 * as the SOLE trust anchor (root, intermediate, or the owner certificate itself — special-cased),
 * then the RFC 8572 extras: KeyUsage (absent or digitalSignature, §3.2) and revocation per
 * `domain-cert-revocation-checks` with stapled CRLs (x509/revocation.ts).
 * @module
 */
import { ValidationError } from '../errors.ts';
import type { TrustContext } from '../types.ts';
import { bytesEqual } from './asn1.ts';
import { openArtifact } from './cms/open-artifact.ts';
import type { IdevidView } from './device.ts';
import { openSignedData } from './cms/signed-data.ts';
import type { ValidationLimits } from './limits.ts';
import type { CheckLog } from './trace.ts';
import type { ValidatedVoucher } from './voucher.ts';
import { KU, certEvidence, namesChain, type ParsedCert } from './x509/certificate.ts';
import { validatePath, type PathResult } from './x509/path.ts';
import { revocationStatus } from './x509/revocation.ts';

const S = 'owner-certificate' as const;

export interface ValidatedOwner {
  readonly certificate: ParsedCert;
  readonly path: readonly ParsedCert[];
}

/** Certificates of the bag that issue no other certificate of the bag (end-entity candidates). */
function leaves(bag: readonly ParsedCert[]): ParsedCert[] {
  return bag.filter((c) => !bag.some((o) => o !== c && !bytesEqual(o.der, c.der) && namesChain(o, c)));
}

const PATH_CODES = {
  'no-path': 'SZTP_ERR_OWNER_CERT_CHAIN',
  validity: 'SZTP_ERR_OWNER_CERT_VALIDITY',
  constraints: 'SZTP_ERR_OWNER_CERT_KEY_USAGE',
  'critical-extension': 'SZTP_ERR_OWNER_CERT_CHAIN',
} as const;

/** Validates the owner-certificate artifact against the voucher. */
export async function validateOwnerCertificate(
  bytes: Uint8Array,
  voucher: ValidatedVoucher,
  ctx: TrustContext,
  device: IdevidView,
  limits: ValidationLimits,
  log?: CheckLog,
  signsConveyedInfo?: (c: ParsedCert) => boolean,
): Promise<ValidatedOwner> {
  const opened = await openArtifact(bytes, S, 'owner certificate', device, limits, log);
  if (opened.type !== 'signed')
    throw new ValidationError(
      S,
      'SZTP_ERR_CMS_CONTENT_TYPE',
      'the owner-certificate artifact is not a CMS SignedData (certs-only)',
    );
  const sd = openSignedData(opened.signedData, S, 'owner certificate', [voucher.pinnedDomainCert]);
  if (sd.certificates.length === 0)
    throw new ValidationError(S, 'SZTP_ERR_OWNER_CERT_CHAIN', 'the owner-certificate artifact carries no certificate');
  const pinned = voucher.pinnedDomainCert;
  const opts = { now: ctx.now, checkValidity: ctx.policy.clockTrusted, maxDepth: limits.maxCertificates };
  const results: { leaf: ParsedCert; result: PathResult }[] = [];
  for (const leaf of leaves(sd.certificates))
    results.push({ leaf, result: await validatePath(leaf, sd.certificates, [pinned], opts) });
  const valid = results.filter((r) => r.result.ok);
  // RFC 8572 §3.2 does not forbid extra certificates: with several valid end-entity certificates the
  // one that signed the conveyed information is the owner certificate.
  const signer =
    valid.length > 1 && signsConveyedInfo !== undefined ? valid.filter((r) => signsConveyedInfo(r.leaf)) : [];
  const ok = signer.length === 1 ? signer : valid;
  if (ok.length !== 1) {
    const first = results.find((r) => !r.result.ok);
    if (ok.length > 1)
      throw new ValidationError(
        S,
        'SZTP_ERR_OWNER_CERT_CHAIN',
        `the owner-certificate artifact holds ${ok.length} valid end-entity certificates and none of them alone signed the conveyed information`,
      );
    const failure =
      first && !first.result.ok
        ? first.result.failure
        : { kind: 'no-path' as const, message: 'no end-entity certificate in the bag' };
    throw new ValidationError(
      S,
      PATH_CODES[failure.kind],
      `owner certificate path to the pinned-domain-cert failed: ${failure.message}`,
      {
        evidence: {
          check: 'path',
          reason: failure.kind,
          pinned: certEvidence(pinned),
          ...(first ? { owner: certEvidence(first.leaf) } : {}),
          ...('cert' in failure ? { certificate: certEvidence(failure.cert) } : {}),
        },
      },
    );
  }
  const chosen = ok[0];
  if (chosen === undefined || !chosen.result.ok)
    throw new ValidationError(S, 'SZTP_ERR_OWNER_CERT_CHAIN', 'internal: no path');
  const { path, anchor, anchorIsLeaf } = chosen.result;
  const owner = chosen.leaf;
  log?.pass(
    S,
    'path',
    anchorIsLeaf
      ? `owner certificate "${owner.subject}" IS the pinned-domain-cert`
      : `"${owner.subject}" chains to pinned "${anchor.subject}" (${path.length - 1} intermediate(s))`,
  );
  if (ctx.policy.clockTrusted)
    log?.pass(S, 'validity', 'all certificates on the path are within their validity period');
  else log?.skip(S, 'validity', 'device clock is untrusted (RFC 8572 §9.1)');
  if (owner.keyUsage !== undefined && !owner.keyUsage.has(KU.digitalSignature)) {
    throw new ValidationError(
      S,
      'SZTP_ERR_OWNER_CERT_KEY_USAGE',
      'the owner certificate KeyUsage lacks digitalSignature (RFC 8572 §3.2)',
      { evidence: { check: 'key-usage', owner: certEvidence(owner) } },
    );
  }
  log?.pass(S, 'key-usage', owner.keyUsage === undefined ? 'no KeyUsage extension' : 'digitalSignature set');
  await checkRevocation(path, anchor, anchorIsLeaf, voucher, sd.crls, ctx, log);
  return { certificate: owner, path };
}

async function checkRevocation(
  path: readonly ParsedCert[],
  anchor: ParsedCert,
  anchorIsLeaf: boolean,
  voucher: ValidatedVoucher,
  crls: Parameters<typeof revocationStatus>[2],
  ctx: TrustContext,
  log?: CheckLog,
): Promise<void> {
  const mode = voucher.revocationChecks;
  if (mode === false) {
    log?.skip(S, 'revocation', 'voucher domain-cert-revocation-checks is false: MUST NOT check');
    return;
  }
  if (anchorIsLeaf) {
    log?.skip(S, 'revocation', 'the owner certificate is the pinned trust anchor itself');
    return;
  }
  let unknown = 0;
  for (const [i, cert] of path.entries()) {
    const issuer = path[i + 1] ?? anchor;
    const status = await revocationStatus(cert, issuer, crls, {
      now: ctx.now,
      clockTrusted: ctx.policy.clockTrusted,
      step: S,
    });
    if (status === 'revoked')
      throw new ValidationError(
        S,
        'SZTP_ERR_OWNER_CERT_REVOKED',
        `certificate "${cert.subject}" is revoked by a stapled CRL`,
        { evidence: { check: 'revocation', certificate: certEvidence(cert) } },
      );
    if (status === 'unknown') {
      if (mode === true) {
        throw new ValidationError(
          S,
          'SZTP_ERR_OWNER_CERT_REVOCATION_UNAVAILABLE',
          `revocation checks are required but no current CRL from "${issuer.subject}" is stapled for "${cert.subject}"`,
          {
            evidence: { check: 'revocation', certificate: certEvidence(cert) },
          },
        );
      }
      unknown++;
    }
  }
  if (unknown > 0)
    log?.skip(
      S,
      'revocation',
      `no stapled CRL for ${unknown} certificate(s); domain-cert-revocation-checks absent, so not required`,
    );
  else
    log?.pass(
      S,
      'revocation',
      `stapled CRLs show every certificate on the path as not revoked${ctx.policy.clockTrusted ? '' : ' (CRL freshness not checked: clock untrusted)'}`,
    );
}
