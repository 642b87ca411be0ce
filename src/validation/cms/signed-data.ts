/**
 * CMS SignedData (RFC 5652 §5): extracts the encapsulated content (BER segments concatenated),
 * the certificate and CRL sets (with count limits), matches a SignerInfo to a certificate by
 * issuerAndSerialNumber or subjectKeyIdentifier, and verifies one signer: signed attributes
 * (content-type = eContentType, message-digest = hash(content), RFC 5652 §5.4/§11) and the
 * signature over the DER SET OF attributes or over the content.
 * @module
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ValidationError, type SztpErrorCode, type ValidationStep } from '../../errors.ts';
import { bytesEqual, guard, octetContent, toHex } from '../asn1.ts';
import { checkCount, type ValidationLimits } from '../limits.ts';
import { OID, oidName } from '../oids.ts';
import { parseCertificate, type ParsedCert } from '../x509/certificate.ts';
import { digest, digestName, signatureScheme, verifySignature } from './algorithms.ts';

export interface OpenedSignedData {
  readonly signedData: pkijs.SignedData;
  readonly eContentType: string;
  /** The content octets, or undefined when eContent is absent (certs-only / detached). */
  readonly content: Uint8Array | undefined;
  readonly certificates: readonly ParsedCert[];
  readonly crls: readonly pkijs.CertificateRevocationList[];
  readonly signerInfos: readonly pkijs.SignerInfo[];
}

/** Opens a SignedData: content, certificates (parsed), CRLs, signers. */
export function openSignedData(sd: pkijs.SignedData, step: ValidationStep, what: string, limits: ValidationLimits): OpenedSignedData {
  const certSet = sd.certificates ?? [];
  checkCount(certSet.length, limits.maxCertificates, step, `${what} certificates`);
  const crlSet = sd.crls ?? [];
  checkCount(crlSet.length, limits.maxCrls, step, `${what} CRLs`);
  checkCount(sd.signerInfos.length, 4, step, `${what} signerInfos`);
  const certificates: ParsedCert[] = [];
  for (const [i, c] of certSet.entries()) {
    if (!(c instanceof pkijs.Certificate)) continue; // other certificate formats are ignored
    const der = guard(step, 'SZTP_ERR_CMS_DECODE', `${what} certificate #${i}`, () => new Uint8Array(c.toSchema(true).toBER(false)));
    certificates.push(parseCertificate(der, step, `${what} certificate #${i}`));
  }
  const crls = crlSet.filter((c): c is pkijs.CertificateRevocationList => c instanceof pkijs.CertificateRevocationList);
  const e = sd.encapContentInfo.eContent;
  let content: Uint8Array | undefined;
  if (e !== undefined) {
    if (!(e instanceof asn1js.OctetString)) throw new ValidationError(step, 'SZTP_ERR_CMS_DECODE', `${what}: eContent is not an OCTET STRING`);
    content = octetContent(e);
  }
  return { signedData: sd, eContentType: sd.encapContentInfo.eContentType, content, certificates, crls, signerInfos: sd.signerInfos };
}

/** Describes a signer identifier for evidence. */
export function describeSid(si: pkijs.SignerInfo): Record<string, string> {
  if (si.sid instanceof pkijs.IssuerAndSerialNumber) {
    return { sidType: 'issuerAndSerialNumber', serial: toHex(new Uint8Array(si.sid.serialNumber.valueBlock.valueHexView)) };
  }
  const sid = si.sid as asn1js.Primitive;
  return { sidType: 'subjectKeyIdentifier', subjectKeyIdentifier: toHex(new Uint8Array(sid.valueBlock.valueHexView)) };
}

/** True when the SignerInfo's sid designates `cert` (RFC 5652 §5.3 SignerIdentifier). */
export function sidMatches(si: pkijs.SignerInfo, cert: ParsedCert): boolean {
  try {
    if (si.sid instanceof pkijs.IssuerAndSerialNumber) {
      return si.sid.issuer.isEqual(cert.pkijs.issuer) && si.sid.serialNumber.isEqual(cert.pkijs.serialNumber);
    }
    const sid = si.sid as asn1js.Primitive;
    return cert.subjectKeyId !== undefined && bytesEqual(new Uint8Array(sid.valueBlock.valueHexView), cert.subjectKeyId);
  } catch {
    return false;
  }
}

function attributeValue(si: pkijs.SignerInfo, type: string): asn1js.AsnType[] | undefined {
  const attrs = si.signedAttrs?.attributes.filter((a) => a.type === type) ?? [];
  if (attrs.length === 0) return undefined;
  if (attrs.length > 1) return [];
  return attrs[0]?.values;
}

/** What a signature failure should be reported as at each step. */
export interface SignerCodes {
  readonly signature: SztpErrorCode;
}

/**
 * Verifies one SignerInfo over `content` with `signer`'s public key. Throws ValidationError
 * (`codes.signature` for a bad signature or digest, SZTP_ERR_CMS_SIGNED_ATTRS for attribute
 * problems, SZTP_ERR_CMS_UNSUPPORTED_ALGORITHM for algorithms).
 */
export function verifySigner(si: pkijs.SignerInfo, opened: OpenedSignedData, signer: ParsedCert, step: ValidationStep, codes: SignerCodes): { readonly scheme: string } {
  const content = opened.content;
  if (content === undefined) throw new ValidationError(step, 'SZTP_ERR_CMS_DECODE', 'SignedData has no encapsulated content (detached signatures are not allowed)');
  const hash = digestName(si.digestAlgorithm.algorithmId, step);
  const scheme = signatureScheme(si.signatureAlgorithm, si.digestAlgorithm.algorithmId, step);
  let signedBytes: Uint8Array = content;
  if (si.signedAttrs !== undefined) {
    const ct = attributeValue(si, OID.attrContentType);
    if (ct?.length !== 1 || !(ct[0] instanceof asn1js.ObjectIdentifier)) {
      throw new ValidationError(step, 'SZTP_ERR_CMS_SIGNED_ATTRS', 'signed attribute content-type is missing or malformed', { evidence: { check: 'content-type' } });
    }
    const ctOid = ct[0].valueBlock.toString();
    if (ctOid !== opened.eContentType) {
      throw new ValidationError(step, 'SZTP_ERR_CMS_SIGNED_ATTRS', `signed attribute content-type ${oidName(ctOid)} differs from eContentType ${oidName(opened.eContentType)}`, {
        evidence: { check: 'content-type', attribute: ctOid, eContentType: opened.eContentType },
      });
    }
    const md = attributeValue(si, OID.attrMessageDigest);
    if (md?.length !== 1 || !(md[0] instanceof asn1js.OctetString)) {
      throw new ValidationError(step, 'SZTP_ERR_CMS_SIGNED_ATTRS', 'signed attribute message-digest is missing or malformed', { evidence: { check: 'message-digest' } });
    }
    const expected = octetContent(md[0]);
    const actual = digest(hash, content);
    if (!bytesEqual(expected, actual)) {
      throw new ValidationError(step, codes.signature, 'message-digest attribute does not match the content (content was altered)', {
        evidence: { check: 'message-digest', expected: toHex(expected), actual: toHex(actual) },
      });
    }
    signedBytes = new Uint8Array(si.signedAttrs.encodedValue); // pkijs re-tags it as SET (0x31)
  }
  const signature = new Uint8Array(si.signature.valueBlock.valueHexView);
  if (!verifySignature(scheme, signer.publicKey, signedBytes, signature, step)) {
    throw new ValidationError(step, codes.signature, `the ${scheme.name} signature does not verify with the key of "${signer.subject}"`, {
      evidence: { check: 'signature', scheme: scheme.name, signer: signer.subject },
    });
  }
  return { scheme: scheme.name };
}
