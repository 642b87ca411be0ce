/**
 * Decodes a CMS ContentInfo (RFC 5652 §3) as received, BER tolerant (RFC 8572 T-14), after the
 * size check. Classifies it as SignedData, EnvelopedData or a bare data document (RFC 8572 §3.1:
 * unsigned conveyed information uses id-data or one of the conveyed-information content types).
 * @module
 */
import { ValidationError, type ValidationStep } from '../../errors.ts';
import { guard } from '../asn1.ts';
import { CONTEXT, T, expect, octets, oidOf, parseDer, type Der } from '../der.ts';
import { checkArtifactSize, type ValidationLimits } from '../limits.ts';
import { OID, oidName } from '../oids.ts';
import { parseSignedData, type SignedDataView } from './signed-data.ts';

export type DecodedContentInfo =
  | { readonly type: 'signed'; readonly signedData: SignedDataView }
  | { readonly type: 'enveloped'; readonly envelopedData: Uint8Array }
  | { readonly type: 'document'; readonly contentType: string; readonly content: Uint8Array };

const DOCUMENT_TYPES: ReadonlySet<string> = new Set([OID.data, OID.conveyedJson, OID.conveyedXml, OID.voucherJson]);

/** Builds the classified view from a content type and its content element. */
export function classifyContent(contentType: string, content: Der, step: ValidationStep, what: string): DecodedContentInfo {
  if (contentType === OID.signedData) return { type: 'signed', signedData: parseSignedData(content, step, what) };
  if (contentType === OID.envelopedData) {
    guard(step, 'SZTP_ERR_CMS_DECODE', `${what} EnvelopedData`, () => expect(content, T.SEQUENCE, 'EnvelopedData'));
    return { type: 'enveloped', envelopedData: content.raw };
  }
  if (DOCUMENT_TYPES.has(contentType)) {
    const bytes = guard(step, 'SZTP_ERR_CMS_DECODE', `${what}: ${oidName(contentType)} content is not an OCTET STRING`, () => octets(content));
    return { type: 'document', contentType, content: bytes };
  }
  throw new ValidationError(step, 'SZTP_ERR_CMS_CONTENT_TYPE', `${what}: content type ${oidName(contentType)} is not allowed here`, {
    evidence: { artifact: what, contentType },
  });
}

/** Parses ContentInfo bytes into (contentType, [0] content element). */
export function readContentInfo(bytes: Uint8Array, step: ValidationStep, what: string): { contentType: string; content: Der } {
  return guard(step, 'SZTP_ERR_CMS_DECODE', `${what} ContentInfo`, () => {
    const ci = expect(parseDer(bytes), T.SEQUENCE, 'ContentInfo');
    if (ci.children.length !== 2) throw new ValidationError(step, 'SZTP_ERR_CMS_DECODE', `${what}: ContentInfo must have a content type and content`);
    const wrapper = expect(ci.child(1), 0, 'ContentInfo content', CONTEXT);
    if (wrapper.children.length !== 1) throw new ValidationError(step, 'SZTP_ERR_CMS_DECODE', `${what}: ContentInfo [0] must hold one element`);
    return { contentType: oidOf(ci.child(0)), content: wrapper.child(0) };
  });
}

/** Decodes `bytes` as a ContentInfo and classifies it. */
export function decodeContentInfo(bytes: Uint8Array, step: ValidationStep, what: string, limits: ValidationLimits): DecodedContentInfo {
  checkArtifactSize(bytes, step, what, limits);
  const { contentType, content } = readContentInfo(bytes, step, what);
  return classifyContent(contentType, content, step, what);
}
