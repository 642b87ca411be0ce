/**
 * The trust pipeline (RFC 8572 §5.3–§5.4): decrypt → classify the conveyed information →
 * (signed) ownership voucher → owner certificate → conveyed-information signature → typed
 * decoding. Pure: no file or network access; every failure is a ValidationError with the step
 * (`voucher`, `owner-certificate`, `conveyed-information`) and a catalogue code. Unsigned conveyed
 * information is returned with `signed: false`; whether to accept it is the caller's policy.
 * @module
 */
import { hash } from 'node:crypto';
import { ValidationError, isSztpError } from '../errors.ts';
import type { BootstrappingArtifacts, TrustContext, ValidatedConveyedInformation } from '../types.ts';
import { openArtifact } from './cms/open-artifact.ts';
import { sidMatches } from './cms/signed-data.ts';
import { verifyConveyedSignature } from './conveyed-information.ts';
import { idevidView } from './device.ts';
import { validateFast } from './fast/validate.ts';
import { DEFAULT_LIMITS, type ValidationLimits } from './limits.ts';
import { OID, oidName } from './oids.ts';
import { validateOwnerCertificate } from './owner-certificate.ts';
import { conveyedResult } from './result.ts';
import type { CheckLog } from './trace.ts';
import { validateVoucher } from './voucher.ts';
import { messageOf } from '../lib/error-info.ts';

const CI = 'conveyed-information' as const;

export interface ValidateOptions {
  readonly limits?: ValidationLimits;
  /** Receives every check (passed/skipped); the failing check is appended by {@link validateExplained}. */
  readonly log?: CheckLog;
}

const sha256Hex = (b: Uint8Array): string => hash('sha256', b, 'hex');

async function run(
  artifacts: BootstrappingArtifacts,
  ctx: TrustContext,
  limits: ValidationLimits,
  log?: CheckLog,
): Promise<ValidatedConveyedInformation> {
  const digest = sha256Hex(artifacts.conveyedInformation);
  const device = idevidView(ctx.device);
  const ci = await openArtifact(artifacts.conveyedInformation, CI, 'conveyed information', device, limits, log);
  let contentType: string;
  let content: Uint8Array;
  let ownerCertificate: Uint8Array | undefined;
  if (ci.type === 'document') {
    // RFC 8572 §3.1 (C-002/C-004): unsigned conveyed information is JSON, XML or id-data, never a voucher type.
    if (ci.contentType !== OID.data && ci.contentType !== OID.conveyedJson && ci.contentType !== OID.conveyedXml) {
      throw new ValidationError(
        CI,
        'SZTP_ERR_CMS_CONTENT_TYPE',
        `unsigned conveyed information has content type ${oidName(ci.contentType)}, not JSON, XML or id-data`,
        {
          evidence: { check: 'content-type', contentType: ci.contentType },
        },
      );
    }
    log?.skip('voucher', 'voucher', 'conveyed information is unsigned');
    log?.skip('owner-certificate', 'owner certificate', 'conveyed information is unsigned');
    log?.skip(
      CI,
      'signature',
      `unsigned (${oidName(ci.contentType)}); acceptance is the caller's policy (trusted source only)`,
    );
    contentType = ci.contentType;
    content = ci.content;
  } else {
    log?.pass(CI, 'classify', 'conveyed information is signed (SignedData)');
    if (artifacts.ownershipVoucher === undefined)
      throw new ValidationError(
        'voucher',
        'SZTP_ERR_VOUCHER_MISSING',
        'signed conveyed information came without an ownership voucher (RFC 8572 §5.4)',
      );
    if (artifacts.ownerCertificate === undefined)
      throw new ValidationError(
        'owner-certificate',
        'SZTP_ERR_OWNER_CERT_MISSING',
        'signed conveyed information came without an owner certificate (RFC 8572 §5.4)',
      );
    const voucher = await validateVoucher(artifacts.ownershipVoucher, ctx, device, limits, log);
    const ciSigners = ci.signedData.signerInfos;
    const owner = await validateOwnerCertificate(artifacts.ownerCertificate, voucher, ctx, device, limits, log, (c) =>
      ciSigners.some((si) => sidMatches(si.sid, c)),
    );
    ({ contentType, content } = verifyConveyedSignature(ci.signedData, owner.certificate, log));
    ownerCertificate = new Uint8Array(owner.certificate.der);
  }
  return conveyedResult({ contentType, content, signed: ci.type === 'signed', digest, ownerCertificate }, limits, log);
}

/** Like {@link validateBootstrappingData}, with limits and a check log. Any unexpected exception becomes a coded error. */
export async function validateWithOptions(
  artifacts: BootstrappingArtifacts,
  ctx: TrustContext,
  options: ValidateOptions = {},
): Promise<ValidatedConveyedInformation> {
  const log = options.log;
  const limits = options.limits ?? DEFAULT_LIMITS;
  // The fast path only ever accepts; anything else (and every explained run) takes the pkijs path.
  if (log === undefined) {
    const fast = validateFast(artifacts, ctx, limits, sha256Hex(artifacts.conveyedInformation));
    if (fast !== undefined) return fast;
  }
  try {
    return await run(artifacts, ctx, limits, log);
  } catch (err) {
    const e =
      isSztpError(err) && err instanceof ValidationError
        ? err
        : isSztpError(err)
          ? new ValidationError(CI, err.code, err.message, {
              cause: err,
              ...(err.evidence ? { evidence: err.evidence } : {}),
            })
          : new ValidationError(CI, 'SZTP_ERR_CMS_DECODE', `unexpected failure while decoding: ${messageOf(err)}`, {
              cause: err,
            });
    const check = typeof e.evidence?.check === 'string' ? e.evidence.check : e.code;
    log?.fail(e.step, check, `${e.message} (${e.code})`);
    throw e;
  }
}

/**
 * RFC 8572 §5.4 validation of one set of bootstrapping artifacts (the ValidateFn contract of
 * src/types.ts; `options` adds limits and a check log). The library entry point
 * `sztp-agent/validation` (./index.ts) exports it; `verify` and the daemon use it.
 */
export function validateBootstrappingData(
  artifacts: BootstrappingArtifacts,
  ctx: TrustContext,
  options: ValidateOptions = {},
): Promise<ValidatedConveyedInformation> {
  return validateWithOptions(artifacts, ctx, options);
}
