/**
 * The fast path of the trust pipeline (RFC 8572 §5.4): the same checks as pipeline.ts for the
 * common case — signed conveyed information, not encrypted, DER throughout, simple certificates
 * (./certificate.ts), no stapled CRLs, one owner end-entity certificate — read with a strict DER
 * reader and verified with node:crypto instead of asn1js/pkijs (whose schema trees cost 20–50 ms
 * per bundle against well under 1 ms of signatures). It can only accept: anything it does not
 * understand and every failed check make it return undefined, and the caller then runs the
 * pkijs path (the parsers of record), which decides and reports. The voucher document, signer
 * role and conveyed-information document checks are the pkijs path's own functions.
 * @module
 */
import type { BootstrappingArtifacts, TrustContext, ValidatedConveyedInformation } from '../../types.ts';
import { bytesEqual } from '../asn1.ts';
import { idevidView } from '../device.ts';
import type { ValidationLimits } from '../limits.ts';
import { OID } from '../oids.ts';
import { conveyedResult } from '../result.ts';
import { checkSignerUsage, checkVoucherContent, type ValidatedVoucher } from '../voucher.ts';
import { KU } from '../x509/certificate.ts';
import { fastCertificate, fastConfiguredCertificate, type FastCert } from './certificate.ts';
import { unsupported } from '../../lib/der.ts';
import { fastPath } from './path.ts';
import { fastSidMatches, fastSignedData, fastVerifySigner, type FastSignedData } from './signed-data.ts';

const DOC_TYPES: ReadonlySet<string> = new Set([OID.data, OID.conveyedJson, OID.conveyedXml]);

/** The one signer of `sd` and its content. */
function oneSigner(sd: FastSignedData): { si: NonNullable<FastSignedData['signerInfos'][0]>; content: Uint8Array } {
  const si = sd.signerInfos[0];
  if (sd.signerInfos.length !== 1 || si === undefined || sd.content === undefined)
    throw unsupported('not exactly one signer with content');
  return { si, content: sd.content };
}

function voucherStep(
  bytes: Uint8Array,
  ctx: TrustContext,
  limits: ValidationLimits,
): ValidatedVoucher & { readonly pinned: FastCert } {
  const sd = fastSignedData(bytes, limits);
  if (sd.eContentType !== OID.voucherJson && sd.eContentType !== OID.data) throw unsupported('voucher content type');
  const anchors = ctx.voucherTrustAnchors.map(fastConfiguredCertificate);
  const { si, content } = oneSigner(sd);
  const signer = [...sd.certificates, ...anchors].find((c) => fastSidMatches(si.sid, c));
  if (signer === undefined) throw unsupported('voucher signer not found');
  fastVerifySigner(si, sd, signer, 'voucher');
  fastPath(signer, sd.certificates, anchors, {
    now: ctx.now,
    checkValidity: ctx.policy.clockTrusted,
    maxDepth: limits.maxCertificates,
    step: 'voucher',
  });
  checkSignerUsage(signer, ctx);
  const device = idevidView(ctx.device, fastConfiguredCertificate);
  let pinned: FastCert | undefined;
  const voucher = checkVoucherContent(
    content,
    signer,
    ctx,
    device,
    limits,
    undefined,
    (der) => (pinned = fastCertificate(der)),
  );
  if (pinned === undefined) throw unsupported('no pinned-domain-cert');
  return { ...voucher, pinned };
}

/** The issuer relation as pkijs's name comparison could see it (loose) and as bytes; both must agree. */
function leaves(bag: readonly FastCert[]): FastCert[] {
  const issues = (o: FastCert, c: FastCert, loose: boolean): boolean =>
    o !== c &&
    !bytesEqual(o.der, c.der) &&
    (loose ? o.looseIssuer === c.looseSubject : bytesEqual(o.issuerDer, c.subjectDer));
  const exact = bag.filter((c) => !bag.some((o) => issues(o, c, false)));
  const loose = bag.filter((c) => !bag.some((o) => issues(o, c, true)));
  if (exact.length !== loose.length || exact.some((c, i) => c !== loose[i]))
    throw unsupported('names equal only loosely');
  return exact;
}

function ownerStep(
  bytes: Uint8Array,
  voucher: ValidatedVoucher & { readonly pinned: FastCert },
  ctx: TrustContext,
  limits: ValidationLimits,
): FastCert {
  const sd = fastSignedData(bytes, limits);
  const [leaf, ...more] = leaves(sd.certificates);
  if (leaf === undefined || more.length > 0) throw unsupported('not exactly one owner end-entity certificate');
  const { path, anchorIsLeaf } = fastPath(leaf, sd.certificates, [voucher.pinned], {
    now: ctx.now,
    checkValidity: ctx.policy.clockTrusted,
    maxDepth: limits.maxCertificates,
    step: 'owner-certificate',
  });
  if (leaf.keyUsage !== undefined && !leaf.keyUsage.has(KU.digitalSignature)) throw unsupported('owner KeyUsage');
  // No stapled CRLs here (fastSignedData refuses them), so every status is unknown: fine unless required.
  if (voucher.revocationChecks === true && !anchorIsLeaf && path.length > 0)
    throw unsupported('revocation checks required');
  return leaf;
}

/**
 * Validates signed, unencrypted bootstrapping data on the fast path; undefined when it cannot
 * vouch for the result (the caller then runs the pkijs path). Never throws.
 */
export function validateFast(
  artifacts: BootstrappingArtifacts,
  ctx: TrustContext,
  limits: ValidationLimits,
  digest: string,
): ValidatedConveyedInformation | undefined {
  try {
    const { ownershipVoucher, ownerCertificate } = artifacts;
    if (ownershipVoucher === undefined || ownerCertificate === undefined) return undefined;
    const ci = fastSignedData(artifacts.conveyedInformation, limits);
    if (!DOC_TYPES.has(ci.eContentType)) return undefined;
    const { si, content } = oneSigner(ci);
    const voucher = voucherStep(ownershipVoucher, ctx, limits);
    const owner = ownerStep(ownerCertificate, voucher, ctx, limits);
    if (!fastSidMatches(si.sid, owner)) return undefined;
    fastVerifySigner(si, ci, owner, 'conveyed-information');
    return conveyedResult(
      { contentType: ci.eContentType, content, signed: true, digest, ownerCertificate: new Uint8Array(owner.der) },
      limits,
    );
  } catch {
    return undefined;
  }
}
