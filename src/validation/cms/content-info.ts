/**
 * Decodes a CMS ContentInfo (RFC 5652 §3) as received, BER tolerant (RFC 8572 T-14), after the
 * size check: asn1js decoding (bounded) and pkijs's ContentInfo. Classifies it as SignedData,
 * EnvelopedData or a bare data document (RFC 8572 §3.1: unsigned conveyed information uses
 * id-data or one of the conveyed-information content types).
 * @module
 */
import type * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ValidationError, type ValidationStep } from '../../errors.ts';
import { decodeBer, decodeProblem, guard, octetsOf } from '../asn1.ts';
import { checkArtifactSize, type ValidationLimits } from '../limits.ts';
import { OID, oidName } from '../oids.ts';
import { parseSignedData, type SignedDataView } from './signed-data.ts';

export type DecodedContentInfo =
  | { readonly type: 'signed'; readonly signedData: SignedDataView }
  | { readonly type: 'enveloped'; readonly envelopedData: pkijs.EnvelopedData }
  | { readonly type: 'document'; readonly contentType: string; readonly content: Uint8Array };

const DOCUMENT_TYPES: ReadonlySet<string> = new Set([OID.data, OID.conveyedJson, OID.conveyedXml, OID.voucherJson]);

/** Builds the classified view from a content type and its content element. */
export function classifyContent(
  contentType: string,
  content: asn1js.AsnType,
  step: ValidationStep,
  what: string,
  limits: ValidationLimits,
): DecodedContentInfo {
  if (contentType === OID.signedData)
    return { type: 'signed', signedData: parseSignedData(content, step, what, limits) };
  if (contentType === OID.envelopedData) {
    const envelopedData = guard(
      step,
      'SZTP_ERR_CMS_DECODE',
      `${what} EnvelopedData`,
      () => new pkijs.EnvelopedData({ schema: content }),
    );
    return { type: 'enveloped', envelopedData };
  }
  if (DOCUMENT_TYPES.has(contentType)) {
    const bytes = guard(
      step,
      'SZTP_ERR_CMS_DECODE',
      `${what}: ${oidName(contentType)} content is not an OCTET STRING`,
      () => {
        if (content.idBlock.tagClass !== 1 || content.idBlock.tagNumber !== 4) throw decodeProblem('unexpected tag');
        return octetsOf(content);
      },
    );
    return { type: 'document', contentType, content: bytes };
  }
  throw new ValidationError(
    step,
    'SZTP_ERR_CMS_CONTENT_TYPE',
    `${what}: content type ${oidName(contentType)} is not allowed here`,
    {
      evidence: { artifact: what, contentType },
    },
  );
}

/** Parses ContentInfo bytes into (contentType, content element). */
export function readContentInfo(
  bytes: Uint8Array,
  step: ValidationStep,
  what: string,
): { contentType: string; content: asn1js.AsnType } {
  const block = decodeBer(bytes, step, what);
  return guard(step, 'SZTP_ERR_CMS_DECODE', `${what} ContentInfo`, () => {
    const ci = new pkijs.ContentInfo({ schema: block });
    return { contentType: ci.contentType, content: ci.content as asn1js.AsnType };
  });
}

/** Decodes `bytes` as a ContentInfo and classifies it. */
export function decodeContentInfo(
  bytes: Uint8Array,
  step: ValidationStep,
  what: string,
  limits: ValidationLimits,
): DecodedContentInfo {
  checkArtifactSize(bytes, step, what, limits);
  const { contentType, content } = readContentInfo(bytes, step, what);
  return classifyContent(contentType, content, step, what, limits);
}
