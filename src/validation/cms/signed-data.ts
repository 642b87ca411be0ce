/**
 * CMS SignedData (RFC 5652 §5) parsed with pkijs on asn1js: encapsulated content (constructed BER
 * segments concatenated, T-14), certificates (DER + pkijs Certificate) and CRLs, SignerInfos with
 * their signed attributes. Certificate, CRL and signer counts are checked on the asn1js tree
 * BEFORE pkijs parses them. Matching a SignerInfo to a certificate by issuerAndSerialNumber or
 * subjectKeyIdentifier, and verification of one signer: signed attributes (required unless the
 * eContentType is id-data, RFC 5652 §5.3; content-type = eContentType, message-digest =
 * hash(content), RFC 5652 §5.4/§11) and the signature over the DER
 * SET OF attributes (tag 0x31 as pkijs re-tags them, T-15) or over the content, with node:crypto.
 * @module
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ValidationError, type SztpErrorCode, type ValidationStep } from '../../errors.ts';
import { bytesEqual, childrenOf, decodeProblem, guard, octetsOf, rawOf, toHex } from '../asn1.ts';
import { checkCount, type ValidationLimits } from '../limits.ts';
import { OID, oidName } from '../oids.ts';
import { certificatesFrom, type ParsedCert } from '../x509/certificate.ts';
import type { ParsedCrl } from '../x509/revocation.ts';
import { algIdOf, digest, digestName, signatureScheme, verifySignature, type AlgId } from './algorithms.ts';

export type SignerId =
  | { readonly kind: 'issuerAndSerialNumber'; readonly issuer: Uint8Array; readonly serial: Uint8Array }
  | { readonly kind: 'subjectKeyIdentifier'; readonly ski: Uint8Array };

export interface SignerInfoView {
  readonly sid: SignerId;
  readonly digestAlgorithm: AlgId;
  /** DER of the signed attributes as SET OF (0x31), and the attributes. */
  readonly signedAttrs:
    | {
        readonly der: Uint8Array;
        readonly attrs: readonly { readonly oid: string; readonly values: readonly asn1js.AsnType[] }[];
      }
    | undefined;
  readonly signatureAlgorithm: AlgId;
  readonly signature: Uint8Array;
}

export interface SignedDataView {
  readonly eContentType: string;
  /** The content octets, or undefined when eContent is absent (certs-only / detached). */
  readonly content: Uint8Array | undefined;
  readonly certificates: readonly { readonly der: Uint8Array; readonly cert: pkijs.Certificate }[];
  readonly crls: readonly pkijs.CertificateRevocationList[];
  readonly signerInfos: readonly SignerInfoView[];
}

const isContext = (b: asn1js.AsnType | undefined, n: number): boolean =>
  b?.idBlock.tagClass === 3 && b.idBlock.tagNumber === n;
const isSequence = (b: asn1js.AsnType): boolean => b.idBlock.tagClass === 1 && b.idBlock.tagNumber === 16;

function signerInfoView(si: pkijs.SignerInfo): SignerInfoView {
  const sidRaw: unknown = si.sid;
  let sid: SignerId;
  if (sidRaw instanceof pkijs.IssuerAndSerialNumber) {
    sid = {
      kind: 'issuerAndSerialNumber',
      issuer: new Uint8Array(sidRaw.issuer.valueBeforeDecode),
      serial: sidRaw.serialNumber.valueBlock.valueHexView,
    };
  } else if (sidRaw instanceof asn1js.BaseBlock && isContext(sidRaw, 0) && !sidRaw.idBlock.isConstructed) {
    sid = { kind: 'subjectKeyIdentifier', ski: octetsOf(sidRaw) };
  } else throw decodeProblem('SignerInfo has no valid signer identifier');
  const signedAttrs =
    si.signedAttrs === undefined
      ? undefined
      : {
          der: new Uint8Array(si.signedAttrs.encodedValue),
          attrs: si.signedAttrs.attributes.map((a) => ({ oid: a.type, values: a.values as asn1js.AsnType[] })),
        };
  return {
    sid,
    digestAlgorithm: algIdOf(si.digestAlgorithm),
    signedAttrs,
    signatureAlgorithm: algIdOf(si.signatureAlgorithm),
    signature: octetsOf(si.signature),
  };
}

/** Reads a SignedData element (asn1js), after checking the element counts against `limits`. */
export function parseSignedData(
  block: asn1js.AsnType,
  step: ValidationStep,
  what: string,
  limits: ValidationLimits,
): SignedDataView {
  const kids = childrenOf(block);
  const certsEl = kids.find((k) => isContext(k, 0));
  const crlsEl = kids.find((k) => isContext(k, 1));
  const signersEl = kids[kids.length - 1];
  checkCount(
    certsEl === undefined ? 0 : childrenOf(certsEl).length,
    limits.maxCertificates,
    step,
    `${what} certificates`,
  );
  checkCount(crlsEl === undefined ? 0 : childrenOf(crlsEl).length, limits.maxCrls, step, `${what} CRLs`);
  const signerCount = signersEl === undefined ? 0 : childrenOf(signersEl).length;
  if (signerCount > 4)
    throw new ValidationError(step, 'SZTP_ERR_LIMIT_EXCEEDED', `${what}: ${signerCount} signerInfos`);
  return guard(step, 'SZTP_ERR_CMS_DECODE', `${what} SignedData`, () => {
    const sd = new pkijs.SignedData({ schema: block });
    const ec = sd.encapContentInfo.eContent;
    const certDers =
      certsEl === undefined
        ? []
        : childrenOf(certsEl)
            .filter(isSequence)
            .map((c) => rawOf(c));
    const certObjs = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
    if (certDers.length !== certObjs.length) throw decodeProblem('unexpected certificate choices');
    return {
      eContentType: sd.encapContentInfo.eContentType,
      content: ec === undefined ? undefined : octetsOf(ec),
      certificates: certObjs.map((cert, i) => ({ cert, der: certDers[i] ?? new Uint8Array() })),
      crls: (sd.crls ?? []).filter(
        (c): c is pkijs.CertificateRevocationList => c instanceof pkijs.CertificateRevocationList,
      ),
      signerInfos: sd.signerInfos.map(signerInfoView),
    };
  });
}

export interface OpenedSignedData {
  readonly eContentType: string;
  readonly content: Uint8Array | undefined;
  readonly certificates: readonly ParsedCert[];
  readonly crls: readonly ParsedCrl[];
  readonly signerInfos: readonly SignerInfoView[];
}

/**
 * Builds the certificate and CRL views of a SignedData view (pkijs parsed them once already). Certificates DER-equal
 * to one of `known` (already parsed, e.g. trust anchors) reuse that parse.
 */
export function openSignedData(
  sd: SignedDataView,
  step: ValidationStep,
  what: string,
  known: readonly ParsedCert[] = [],
): OpenedSignedData {
  return {
    eContentType: sd.eContentType,
    content: sd.content,
    certificates: certificatesFrom(sd.certificates, step, what, known),
    crls: sd.crls.map((crl) => ({ crl })),
    signerInfos: sd.signerInfos,
  };
}

/** Describes a signer identifier for evidence. */
export function describeSid(si: SignerInfoView): Record<string, string> {
  return si.sid.kind === 'issuerAndSerialNumber'
    ? { sidType: si.sid.kind, serial: toHex(si.sid.serial) }
    : { sidType: si.sid.kind, subjectKeyIdentifier: toHex(si.sid.ski) };
}

/** True when the signer identifier designates `cert` (RFC 5652 §5.3 SignerIdentifier). */
export function sidMatches(sid: SignerId, cert: ParsedCert): boolean {
  if (sid.kind === 'issuerAndSerialNumber')
    return bytesEqual(sid.issuer, cert.issuerDer) && bytesEqual(sid.serial, cert.serial);
  return cert.subjectKeyId !== undefined && bytesEqual(sid.ski, cert.subjectKeyId);
}

/** What a signature failure should be reported as at each step. */
export interface SignerCodes {
  readonly signature: SztpErrorCode;
}

function singleValue(si: SignerInfoView, oid: string): asn1js.AsnType | undefined {
  const found = si.signedAttrs?.attrs.filter((a) => a.oid === oid) ?? [];
  return found.length === 1 && found[0]?.values.length === 1 ? found[0].values[0] : undefined;
}

/**
 * Verifies one SignerInfo over the content with `signer`'s public key. Throws ValidationError
 * (`codes.signature` for a bad signature or digest, SZTP_ERR_CMS_SIGNED_ATTRS for attribute
 * problems, SZTP_ERR_CMS_UNSUPPORTED_ALGORITHM for algorithms).
 */
export function verifySigner(
  si: SignerInfoView,
  sd: { readonly eContentType: string; readonly content: Uint8Array | undefined },
  signer: ParsedCert,
  step: ValidationStep,
  codes: SignerCodes,
): { readonly scheme: string } {
  const content = sd.content;
  if (content === undefined)
    throw new ValidationError(
      step,
      'SZTP_ERR_CMS_DECODE',
      'SignedData has no encapsulated content (detached signatures are not allowed)',
    );
  const hash = digestName(si.digestAlgorithm.oid, step);
  const scheme = signatureScheme(si.signatureAlgorithm, si.digestAlgorithm.oid, step);
  let signedBytes: Uint8Array = content;
  // RFC 5652 §5.3: signedAttrs MUST be present when eContentType is not id-data; without them the
  // content type would not be covered by the signature (a voucher could pass as conveyed information).
  if (si.signedAttrs === undefined && sd.eContentType !== OID.data) {
    throw new ValidationError(
      step,
      'SZTP_ERR_CMS_SIGNED_ATTRS',
      `the SignerInfo has no signed attributes, which RFC 5652 §5.3 requires for eContentType ${oidName(sd.eContentType)}`,
      {
        evidence: { check: 'signed-attributes', eContentType: sd.eContentType },
      },
    );
  }
  if (si.signedAttrs !== undefined) {
    const ct = singleValue(si, OID.attrContentType);
    const ctOid = ct instanceof asn1js.ObjectIdentifier ? ct.valueBlock.toString() : undefined;
    if (ctOid === undefined)
      throw new ValidationError(
        step,
        'SZTP_ERR_CMS_SIGNED_ATTRS',
        'signed attribute content-type is missing or malformed',
        { evidence: { check: 'content-type' } },
      );
    if (ctOid !== sd.eContentType) {
      throw new ValidationError(
        step,
        'SZTP_ERR_CMS_SIGNED_ATTRS',
        `signed attribute content-type ${oidName(ctOid)} differs from eContentType ${oidName(sd.eContentType)}`,
        {
          evidence: { check: 'content-type', attribute: ctOid, eContentType: sd.eContentType },
        },
      );
    }
    const md = singleValue(si, OID.attrMessageDigest);
    const expected =
      md instanceof asn1js.OctetString
        ? guard(step, 'SZTP_ERR_CMS_SIGNED_ATTRS', 'message-digest attribute', () => octetsOf(md))
        : undefined;
    if (expected === undefined)
      throw new ValidationError(
        step,
        'SZTP_ERR_CMS_SIGNED_ATTRS',
        'signed attribute message-digest is missing or malformed',
        { evidence: { check: 'message-digest' } },
      );
    const actual = digest(hash, content);
    if (!bytesEqual(expected, actual)) {
      throw new ValidationError(
        step,
        codes.signature,
        'message-digest attribute does not match the content (content was altered)',
        {
          evidence: { check: 'message-digest', expected: toHex(expected), actual: toHex(actual) },
        },
      );
    }
    signedBytes = si.signedAttrs.der;
  }
  if (!verifySignature(scheme, signer.publicKey, signedBytes, si.signature, step)) {
    throw new ValidationError(
      step,
      codes.signature,
      `the ${scheme.name} signature does not verify with the key of "${signer.subject}"`,
      {
        evidence: { check: 'signature', scheme: scheme.name, signer: signer.subject },
      },
    );
  }
  return { scheme: scheme.name };
}
