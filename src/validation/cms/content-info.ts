/**
 * Decodes a CMS ContentInfo (RFC 5652 §3) as received, BER tolerant (RFC 8572 T-14), after the
 * size check. Classifies it as SignedData, EnvelopedData or a bare data document (RFC 8572 §3.1:
 * unsigned conveyed information uses id-data or one of the conveyed-information content types).
 * @module
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ValidationError, type ValidationStep } from '../../errors.ts';
import { decodeBer, guard, octetContent } from '../asn1.ts';
import { checkArtifactSize, type ValidationLimits } from '../limits.ts';
import { OID, oidName } from '../oids.ts';

export type DecodedContentInfo =
  | { readonly type: 'signed'; readonly signedData: pkijs.SignedData }
  | { readonly type: 'enveloped'; readonly envelopedData: pkijs.EnvelopedData }
  | { readonly type: 'document'; readonly contentType: string; readonly content: Uint8Array };

const DOCUMENT_TYPES: ReadonlySet<string> = new Set([OID.data, OID.conveyedJson, OID.conveyedXml, OID.voucherJson]);

/** Builds the classified view from a content type and its (already decoded) content element. */
export function classifyContent(contentType: string, content: asn1js.AsnType, step: ValidationStep, what: string): DecodedContentInfo {
  if (contentType === OID.signedData) {
    return { type: 'signed', signedData: guard(step, 'SZTP_ERR_CMS_DECODE', `${what} SignedData`, () => new pkijs.SignedData({ schema: content })) };
  }
  if (contentType === OID.envelopedData) {
    return { type: 'enveloped', envelopedData: guard(step, 'SZTP_ERR_CMS_DECODE', `${what} EnvelopedData`, () => new pkijs.EnvelopedData({ schema: content })) };
  }
  if (DOCUMENT_TYPES.has(contentType)) {
    if (!(content instanceof asn1js.OctetString)) {
      throw new ValidationError(step, 'SZTP_ERR_CMS_DECODE', `${what}: ${oidName(contentType)} content is not an OCTET STRING`, { evidence: { artifact: what } });
    }
    return { type: 'document', contentType, content: octetContent(content) };
  }
  throw new ValidationError(step, 'SZTP_ERR_CMS_CONTENT_TYPE', `${what}: content type ${oidName(contentType)} is not allowed here`, {
    evidence: { artifact: what, contentType },
  });
}

/** Decodes `bytes` as a ContentInfo and classifies it. */
export function decodeContentInfo(bytes: Uint8Array, step: ValidationStep, what: string, limits: ValidationLimits): DecodedContentInfo {
  checkArtifactSize(bytes, step, what, limits);
  const asn = decodeBer(bytes, step, what);
  const ci = guard(step, 'SZTP_ERR_CMS_DECODE', `${what} ContentInfo`, () => new pkijs.ContentInfo({ schema: asn }));
  return classifyContent(ci.contentType, ci.content as asn1js.AsnType, step, what);
}
