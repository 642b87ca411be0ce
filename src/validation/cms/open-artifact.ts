/**
 * Opens one artifact as received: size check, ContentInfo decoding, and — for EnvelopedData —
 * decryption with the IDevID key followed by re-dispatch on the inner content type (RFC 8572
 * §3.1–§3.4). Accepts the RFC's inner `id-signedData` and what the openssl CLI produces
 * (`id-data` holding a whole DER ContentInfo).
 * @module
 */
import { ValidationError, type ValidationStep } from '../../errors.ts';
import type { IdevidView } from '../device.ts';
import { decodeBer } from '../asn1.ts';
import type { ValidationLimits } from '../limits.ts';
import { OID } from '../oids.ts';
import type { CheckLog } from '../trace.ts';
import { classifyContent, decodeContentInfo, readContentInfo, type DecodedContentInfo } from './content-info.ts';
import { decryptEnvelopedData } from './enveloped-data.ts';
import { parseSignedData } from './signed-data.ts';

export type OpenedArtifact = Exclude<DecodedContentInfo, { type: 'enveloped' }> & { readonly encrypted: boolean };

function innerFromData(
  plaintext: Uint8Array,
  step: ValidationStep,
  what: string,
  limits: ValidationLimits,
): Exclude<DecodedContentInfo, { type: 'enveloped' }> {
  // openssl `cms -encrypt` over a DER ContentInfo: id-data whose octets are that ContentInfo.
  if (plaintext[0] === 0x30) {
    let inner: DecodedContentInfo | undefined;
    try {
      const { contentType, content } = readContentInfo(plaintext, step, what);
      if (contentType !== OID.envelopedData) inner = classifyContent(contentType, content, step, what, limits);
    } catch {
      inner = undefined; // not a ContentInfo: a bare document
    }
    if (inner !== undefined && inner.type !== 'enveloped') return inner;
  }
  return { type: 'document', contentType: OID.data, content: plaintext };
}

/** Decodes (and if needed decrypts) one artifact. */
export async function openArtifact(
  bytes: Uint8Array,
  step: ValidationStep,
  what: string,
  device: IdevidView,
  limits: ValidationLimits,
  log?: CheckLog,
): Promise<OpenedArtifact> {
  const outer = decodeContentInfo(bytes, step, what, limits);
  if (outer.type !== 'enveloped') return { ...outer, encrypted: false };
  const dec = await decryptEnvelopedData(outer.envelopedData, device, step);
  log?.pass(step, 'decrypt', `${what} decrypted with the IDevID key by ${dec.recipient}`);
  if (dec.contentType === OID.signedData) {
    const el = decodeBer(dec.plaintext, step, `${what} (decrypted)`);
    return { type: 'signed', signedData: parseSignedData(el, step, what, limits), encrypted: true };
  }
  if (dec.contentType === OID.data) return { ...innerFromData(dec.plaintext, step, what, limits), encrypted: true };
  if (
    dec.contentType === OID.conveyedJson ||
    dec.contentType === OID.conveyedXml ||
    dec.contentType === OID.voucherJson
  ) {
    return { type: 'document', contentType: dec.contentType, content: dec.plaintext, encrypted: true };
  }
  throw new ValidationError(
    step,
    'SZTP_ERR_CMS_CONTENT_TYPE',
    `${what}: encrypted content type ${dec.contentType} is not allowed`,
    { evidence: { contentType: dec.contentType } },
  );
}
