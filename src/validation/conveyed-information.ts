/**
 * Step 3 of RFC 8572 §5.4 and the document decoding: the conveyed-information SignedData must be
 * signed by exactly the validated owner end-entity certificate (the signer identifier is compared
 * with that certificate; another certificate in a bag is never accepted, T-06), its eContentType
 * is JSON, XML or id-data (encoding detected from the content, C-003), and the document is decoded
 * and schema-checked.
 * @module
 */
import { ValidationError } from '../errors.ts';
import { describeSid, openSignedData, sidMatches, verifySigner, type SignedDataView } from './cms/signed-data.ts';
import { parseJson } from './json.ts';
import type { ValidationLimits } from './limits.ts';
import { OID, oidName } from './oids.ts';
import type { CheckLog } from './trace.ts';
import { certEvidence, type ParsedCert } from './x509/certificate.ts';
import { xmlToConveyedJson } from './xml.ts';

const S = 'conveyed-information' as const;
const DOC_TYPES: ReadonlySet<string> = new Set([OID.data, OID.conveyedJson, OID.conveyedXml]);

/** Verifies the CI signature against the validated owner certificate; returns type and content. */
export function verifyConveyedSignature(
  sdRaw: SignedDataView,
  owner: ParsedCert,
  log?: CheckLog,
): { contentType: string; content: Uint8Array } {
  const sd = openSignedData(sdRaw, S, 'conveyed information');
  if (!DOC_TYPES.has(sd.eContentType)) {
    throw new ValidationError(
      S,
      'SZTP_ERR_CMS_CONTENT_TYPE',
      `conveyed-information eContentType ${oidName(sd.eContentType)} is not JSON, XML or id-data`,
      { evidence: { check: 'content-type' } },
    );
  }
  if (sd.signerInfos.length !== 1)
    throw new ValidationError(
      S,
      'SZTP_ERR_CMS_SIGNER',
      `the conveyed information has ${sd.signerInfos.length} signers; exactly one is required`,
    );
  const si = sd.signerInfos[0];
  if (si === undefined || sd.content === undefined)
    throw new ValidationError(S, 'SZTP_ERR_CMS_DECODE', 'the conveyed information has no signer or no content');
  if (!sidMatches(si.sid, owner)) {
    throw new ValidationError(
      S,
      'SZTP_ERR_CONVEYED_SIGNER',
      'the conveyed information is not signed by the validated owner certificate',
      {
        evidence: { check: 'signer', ...describeSid(si), owner: certEvidence(owner) },
      },
    );
  }
  const { scheme } = verifySigner(si, sd, owner, S, { signature: 'SZTP_ERR_CONVEYED_SIGNATURE' });
  log?.pass(
    S,
    'signature',
    `${scheme} signature by the owner certificate verifies; eContentType ${oidName(sd.eContentType)}`,
  );
  return { contentType: sd.eContentType, content: sd.content };
}

/** Parses the document bytes (JSON or XML; id-data sniffed by the first non-blank byte). */
export function parseConveyedDocument(contentType: string, content: Uint8Array, limits: ValidationLimits): unknown {
  let xml = contentType === OID.conveyedXml;
  if (contentType === OID.data) {
    const first = content.find(
      (b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0xef && b !== 0xbb && b !== 0xbf,
    );
    xml = first === 0x3c; // '<'
  }
  if (!xml) return parseJson(content, S, 'SZTP_ERR_CONVEYED_DECODE', 'conveyed information', limits);
  if (content.byteLength > limits.maxDocumentBytes)
    throw new ValidationError(S, 'SZTP_ERR_LIMIT_EXCEEDED', 'XML conveyed information is too large');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch (err) {
    throw new ValidationError(S, 'SZTP_ERR_CONVEYED_DECODE', 'conveyed information is not valid UTF-8', { cause: err });
  }
  return xmlToConveyedJson(text, limits);
}
