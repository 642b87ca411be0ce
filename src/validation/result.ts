/**
 * The last stage of the trust pipeline, shared by the pkijs path (pipeline.ts) and the fast path
 * (fast/validate.ts): decodes the conveyed-information document (JSON or XML, C-003), checks it
 * against ietf-sztp-conveyed-info, and builds the ValidatedConveyedInformation.
 * @module
 */
import type { ValidatedConveyedInformation } from '../types.ts';
import { parseConveyedDocument } from './conveyed-information.ts';
import { decodeConveyedInformation } from './decode-conveyed-info.ts';
import type { ValidationLimits } from './limits.ts';
import type { CheckLog } from './trace.ts';

export interface ConveyedContent {
  readonly contentType: string;
  readonly content: Uint8Array;
  readonly signed: boolean;
  /** SHA-256 (hex) of the conveyed-information artifact as received. */
  readonly digest: string;
  readonly ownerCertificate: Uint8Array | undefined;
}

export function conveyedResult(
  c: ConveyedContent,
  limits: ValidationLimits,
  log?: CheckLog,
): ValidatedConveyedInformation {
  const json = parseConveyedDocument(c.contentType, c.content, limits);
  const decoded = decodeConveyedInformation(json);
  log?.pass('conveyed-information', 'schema', `${decoded.kind} conforms to ietf-sztp-conveyed-info`);
  const base = {
    signed: c.signed,
    json,
    digest: c.digest,
    ...(c.ownerCertificate === undefined ? {} : { ownerCertificate: c.ownerCertificate }),
  };
  return decoded.kind === 'onboarding-information'
    ? { ...base, kind: decoded.kind, onboarding: decoded.onboarding }
    : { ...base, kind: decoded.kind, redirect: decoded.redirect };
}
