/**
 * CMS SignedData (RFC 5652 §5): a view of the structure read with our DER reader (encapsulated
 * content with BER segments concatenated, raw certificates and CRLs, SignerInfos), certificate
 * and CRL count limits, matching a SignerInfo to a certificate by issuerAndSerialNumber or
 * subjectKeyIdentifier, and verification of one signer: signed attributes (content-type =
 * eContentType, message-digest = hash(content), RFC 5652 §5.4/§11) and the signature over the DER
 * SET OF attributes (T-15) or over the content.
 * @module
 */
import { ValidationError, type SztpErrorCode, type ValidationStep } from '../../errors.ts';
import { bytesEqual, guard, toHex } from '../asn1.ts';
import { CONTEXT, DerError, T, UNIVERSAL, algId, expect, octets, oidOf, type AlgId, type Der } from '../der.ts';
import { checkCount, type ValidationLimits } from '../limits.ts';
import { OID, oidName } from '../oids.ts';
import { parseCertificate, type ParsedCert } from '../x509/certificate.ts';
import { parseCrl, type ParsedCrl } from '../x509/revocation.ts';
import { digest, digestName, signatureScheme, verifySignature } from './algorithms.ts';

export type SignerId =
  | { readonly kind: 'issuerAndSerialNumber'; readonly issuer: Uint8Array; readonly serial: Uint8Array }
  | { readonly kind: 'subjectKeyIdentifier'; readonly ski: Uint8Array };

export interface SignerInfoView {
  readonly sid: SignerId;
  readonly digestAlgorithm: AlgId;
  /** DER of the signed attributes re-tagged as SET OF (0x31), and the attributes. */
  readonly signedAttrs: { readonly der: Uint8Array; readonly attrs: readonly { readonly oid: string; readonly values: readonly Der[] }[] } | undefined;
  readonly signatureAlgorithm: AlgId;
  readonly signature: Uint8Array;
}

export interface SignedDataView {
  readonly eContentType: string;
  /** The content octets, or undefined when eContent is absent (certs-only / detached). */
  readonly content: Uint8Array | undefined;
  readonly certificates: readonly Uint8Array[];
  readonly crls: readonly Uint8Array[];
  readonly signerInfos: readonly SignerInfoView[];
}

function parseSignerInfo(d: Der): SignerInfoView {
  const c = expect(d, T.SEQUENCE, 'SignerInfo').children;
  const sidEl = c[1];
  let sid: SignerId;
  if (sidEl?.is(UNIVERSAL, T.SEQUENCE) === true) sid = { kind: 'issuerAndSerialNumber', issuer: expect(sidEl.child(0), T.SEQUENCE, 'issuer').raw, serial: expect(sidEl.child(1), T.INTEGER, 'serial').content };
  else if (sidEl?.is(CONTEXT, 0) === true && !sidEl.constructed) sid = { kind: 'subjectKeyIdentifier', ski: sidEl.content };
  else throw new DerError('SignerInfo has no valid signer identifier');
  let i = 2;
  const digestAlgorithm = algId(c[i++] ?? d);
  let signedAttrs: SignerInfoView['signedAttrs'];
  if (c[i]?.is(CONTEXT, 0) === true) {
    const el = c[i++] ?? d;
    const der = new Uint8Array(el.raw);
    der[0] = 0x31;
    const attrs = el.children.map((a) => {
      const ac = expect(a, T.SEQUENCE, 'Attribute');
      return { oid: oidOf(ac.child(0)), values: expect(ac.child(1), T.SET, 'AttributeValues').children };
    });
    signedAttrs = { der, attrs };
  }
  const signatureAlgorithm = algId(c[i++] ?? d);
  const signature = octets(c[i] ?? d);
  return { sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature };
}

/** Reads a SignedData element. */
export function parseSignedData(d: Der, step: ValidationStep, what: string): SignedDataView {
  return guard(step, 'SZTP_ERR_CMS_DECODE', `${what} SignedData`, () => {
    const c = expect(d, T.SEQUENCE, 'SignedData').children;
    expect(c[0] ?? d, T.INTEGER, 'version');
    expect(c[1] ?? d, T.SET, 'digestAlgorithms');
    const encap = expect(c[2] ?? d, T.SEQUENCE, 'EncapsulatedContentInfo');
    const eContentType = oidOf(encap.child(0));
    const ec = encap.children[1];
    const content = ec === undefined ? undefined : octets(expect(ec, 0, 'eContent', CONTEXT).child(0));
    let i = 3;
    let certificates: Uint8Array[] = [];
    let crls: Uint8Array[] = [];
    if (c[i]?.is(CONTEXT, 0) === true) certificates = (c[i++] ?? d).children.filter((x) => x.is(UNIVERSAL, T.SEQUENCE)).map((x) => x.raw);
    if (c[i]?.is(CONTEXT, 1) === true) crls = (c[i++] ?? d).children.filter((x) => x.is(UNIVERSAL, T.SEQUENCE)).map((x) => x.raw);
    const signerInfos = expect(c[i] ?? d, T.SET, 'signerInfos').children;
    if (signerInfos.length > 4) throw new ValidationError(step, 'SZTP_ERR_LIMIT_EXCEEDED', `${what}: ${signerInfos.length} signerInfos`);
    return { eContentType, content, certificates, crls, signerInfos: signerInfos.map(parseSignerInfo) };
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
 * Parses the certificates and CRLs of a SignedData view, within the count limits. Certificates
 * DER-equal to one of `known` (already parsed, e.g. trust anchors) reuse that parse.
 */
export function openSignedData(sd: SignedDataView, step: ValidationStep, what: string, limits: ValidationLimits, known: readonly ParsedCert[] = []): OpenedSignedData {
  checkCount(sd.certificates.length, limits.maxCertificates, step, `${what} certificates`);
  checkCount(sd.crls.length, limits.maxCrls, step, `${what} CRLs`);
  return {
    eContentType: sd.eContentType,
    content: sd.content,
    certificates: sd.certificates.map((der, i) => known.find((k) => bytesEqual(k.der, der)) ?? parseCertificate(der, step, `${what} certificate #${i}`)),
    crls: sd.crls.map((der, i) => parseCrl(der, step, `${what} CRL #${i}`)),
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
  if (sid.kind === 'issuerAndSerialNumber') return bytesEqual(sid.issuer, cert.issuerDer) && bytesEqual(sid.serial, cert.serial);
  return cert.subjectKeyId !== undefined && bytesEqual(sid.ski, cert.subjectKeyId);
}

/** What a signature failure should be reported as at each step. */
export interface SignerCodes {
  readonly signature: SztpErrorCode;
}

function singleValue(si: SignerInfoView, oid: string): Der | undefined {
  const found = si.signedAttrs?.attrs.filter((a) => a.oid === oid) ?? [];
  return found.length === 1 && found[0]?.values.length === 1 ? found[0].values[0] : undefined;
}

/**
 * Verifies one SignerInfo over the content with `signer`'s public key. Throws ValidationError
 * (`codes.signature` for a bad signature or digest, SZTP_ERR_CMS_SIGNED_ATTRS for attribute
 * problems, SZTP_ERR_CMS_UNSUPPORTED_ALGORITHM for algorithms).
 */
export function verifySigner(si: SignerInfoView, sd: { readonly eContentType: string; readonly content: Uint8Array | undefined }, signer: ParsedCert, step: ValidationStep, codes: SignerCodes): { readonly scheme: string } {
  const content = sd.content;
  if (content === undefined) throw new ValidationError(step, 'SZTP_ERR_CMS_DECODE', 'SignedData has no encapsulated content (detached signatures are not allowed)');
  const hash = digestName(si.digestAlgorithm.oid, step);
  const scheme = signatureScheme(si.signatureAlgorithm, si.digestAlgorithm.oid, step);
  let signedBytes: Uint8Array = content;
  if (si.signedAttrs !== undefined) {
    const ct = singleValue(si, OID.attrContentType);
    const ctOid = ct === undefined ? undefined : guard(step, 'SZTP_ERR_CMS_SIGNED_ATTRS', 'content-type attribute', () => oidOf(ct));
    if (ctOid === undefined) throw new ValidationError(step, 'SZTP_ERR_CMS_SIGNED_ATTRS', 'signed attribute content-type is missing or malformed', { evidence: { check: 'content-type' } });
    if (ctOid !== sd.eContentType) {
      throw new ValidationError(step, 'SZTP_ERR_CMS_SIGNED_ATTRS', `signed attribute content-type ${oidName(ctOid)} differs from eContentType ${oidName(sd.eContentType)}`, {
        evidence: { check: 'content-type', attribute: ctOid, eContentType: sd.eContentType },
      });
    }
    const md = singleValue(si, OID.attrMessageDigest);
    const expected = md?.is(UNIVERSAL, T.OCTET_STRING) === true ? guard(step, 'SZTP_ERR_CMS_SIGNED_ATTRS', 'message-digest attribute', () => octets(md)) : undefined;
    if (expected === undefined) throw new ValidationError(step, 'SZTP_ERR_CMS_SIGNED_ATTRS', 'signed attribute message-digest is missing or malformed', { evidence: { check: 'message-digest' } });
    const actual = digest(hash, content);
    if (!bytesEqual(expected, actual)) {
      throw new ValidationError(step, codes.signature, 'message-digest attribute does not match the content (content was altered)', {
        evidence: { check: 'message-digest', expected: toHex(expected), actual: toHex(actual) },
      });
    }
    signedBytes = si.signedAttrs.der;
  }
  if (!verifySignature(scheme, signer.publicKey, signedBytes, si.signature, step)) {
    throw new ValidationError(step, codes.signature, `the ${scheme.name} signature does not verify with the key of "${signer.subject}"`, {
      evidence: { check: 'signature', scheme: scheme.name, signer: signer.subject },
    });
  }
  return { scheme: scheme.name };
}
