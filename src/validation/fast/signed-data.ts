/**
 * The fast path's CMS reader (RFC 5652 §3, §5) over the strict DER reader: a ContentInfo holding
 * a SignedData with DER-encoded, primitive eContent, X.509 certificates only (no CRLs, no other
 * certificate formats), and SignerInfos with their signed attributes; and the verification of one
 * signer with exactly the checks of cms/signed-data.ts `verifySigner` (signed attributes required
 * unless id-data, one content-type equal to eContentType, one message-digest equal to the
 * content's digest, the signature over the attributes re-tagged as SET OF, RFC 5652 §5.4).
 * Anything else throws and the caller falls back to pkijs; a failed check throws too, so the
 * pkijs path reports it with its own code.
 * @module
 */
import type { ValidationStep } from '../../errors.ts';
import { bytesEqual } from '../asn1.ts';
import { digest, digestName, signatureScheme, verifySignature } from '../cms/algorithms.ts';
import type { SignerId } from '../cms/signed-data.ts';
import type { ValidationLimits } from '../limits.ts';
import { OID } from '../oids.ts';
import { fastCertificate, type FastCert } from './certificate.ts';
import { TAG, contentOf, expect, oidOf, primitive, rawOf, readRoot, unsupported, type Tlv } from '../../lib/der.ts';

export interface FastSignerInfo {
  readonly sid: SignerId;
  readonly digestOid: string;
  readonly signatureOid: string;
  /** Signed attributes re-tagged as SET OF (0x31) and each attribute's values. */
  readonly signedAttrs:
    | { readonly der: Uint8Array; readonly attrs: readonly { readonly oid: string; readonly values: readonly Tlv[] }[] }
    | undefined;
  readonly signature: Uint8Array;
}

export interface FastSignedData {
  readonly eContentType: string;
  readonly content: Uint8Array | undefined;
  readonly certificates: readonly FastCert[];
  readonly signerInfos: readonly FastSignerInfo[];
}

/** Algorithm identifiers with absent or NULL parameters (RSASSA-PSS and anything parameterised go to pkijs). */
function plainAlg(t: Tlv | undefined): string {
  const [oid, params] = expect(t, TAG.sequence, 1, 2);
  if (params !== undefined && (params.tag !== TAG.null || params.end !== params.content))
    throw unsupported('algorithm parameters');
  const o = oidOf(oid);
  if (o === OID.rsassaPss) throw unsupported('RSASSA-PSS');
  return o;
}

/** Attributes ([0] or [1] IMPLICIT SET OF Attribute): type and values. */
function attributes(t: Tlv): { oid: string; values: Tlv[] }[] {
  return expect(t, t.tag, 1).map((a) => {
    const [type, values] = expect(a, TAG.sequence, 2, 2);
    return { oid: oidOf(type), values: expect(values, TAG.set) };
  });
}

function signerInfo(t: Tlv): FastSignerInfo {
  const kids = expect(t, TAG.sequence, 5, 7);
  const [version, sidEl, digAlg] = kids;
  primitive(version, TAG.integer);
  let sid: SignerId;
  if (sidEl?.tag === TAG.sequence) {
    const [issuer, serial] = expect(sidEl, TAG.sequence, 2, 2);
    if (issuer?.tag !== TAG.sequence) throw unsupported('signer issuer');
    sid = { kind: 'issuerAndSerialNumber', issuer: rawOf(issuer), serial: primitive(serial, TAG.integer) };
  } else if (sidEl?.tag === 0x80) {
    sid = { kind: 'subjectKeyIdentifier', ski: contentOf(sidEl) };
  } else throw unsupported('signer identifier');
  let at = 3;
  let signedAttrs: FastSignerInfo['signedAttrs'];
  const sa = kids[at];
  if (sa?.tag === 0xa0) {
    const attrs = attributes(sa);
    const der = Uint8Array.from(rawOf(sa));
    der[0] = 0x31;
    signedAttrs = { der, attrs };
    at++;
  }
  const signatureOid = plainAlg(kids[at]);
  const signature = primitive(kids[at + 1], TAG.octetString);
  const rest = kids.slice(at + 2);
  if (rest.length > 1 || (rest[0] !== undefined && rest[0].tag !== 0xa1))
    throw unsupported('SignerInfo trailing elements');
  if (rest[0] !== undefined) attributes(rest[0]);
  return { sid, digestOid: plainAlg(digAlg), signatureOid, signedAttrs, signature };
}

/**
 * Reads a ContentInfo holding a SignedData. Counts above `limits` (certificates, four signers)
 * throw, as does an artifact above the size limit: pkijs reports those.
 */
export function fastSignedData(bytes: Uint8Array, limits: ValidationLimits): FastSignedData {
  if (bytes.byteLength > limits.maxArtifactBytes) throw unsupported('artifact too large');
  const [ct, wrapped] = expect(readRoot(bytes), TAG.sequence, 2, 2);
  if (oidOf(ct) !== OID.signedData) throw unsupported('not a SignedData');
  const [sd] = expect(wrapped, 0xa0, 1, 1);
  const kids = expect(sd, TAG.sequence, 4, 6);
  const [version, digestAlgs, encap] = kids;
  primitive(version, TAG.integer);
  for (const d of expect(digestAlgs, TAG.set)) oidOf(expect(d, TAG.sequence, 1, 2)[0]);
  const [eType, eWrapped] = expect(encap, TAG.sequence, 1, 2);
  let content: Uint8Array | undefined;
  if (eWrapped !== undefined) content = primitive(expect(eWrapped, 0xa0, 1, 1)[0], TAG.octetString);
  let at = 3;
  let certificates: FastCert[] = [];
  if (kids[at]?.tag === 0xa0) {
    const certs = expect(kids[at], 0xa0);
    if (certs.length > limits.maxCertificates) throw unsupported('too many certificates');
    certificates = certs.map((c) => {
      if (c.tag !== TAG.sequence) throw unsupported('non-X.509 certificate choice');
      return fastCertificate(rawOf(c), true);
    });
    at++;
  }
  const signers = expect(kids[at], TAG.set);
  if (at + 1 !== kids.length) throw unsupported('CRLs or trailing elements');
  if (signers.length > 4) throw unsupported('too many signers');
  return { eContentType: oidOf(eType), content, certificates, signerInfos: signers.map(signerInfo) };
}

/** True when the signer identifier designates `cert` (RFC 5652 §5.3). */
export function fastSidMatches(sid: SignerId, cert: FastCert): boolean {
  if (sid.kind === 'issuerAndSerialNumber')
    return bytesEqual(sid.issuer, cert.issuerDer) && bytesEqual(sid.serial, cert.serial);
  return cert.subjectKeyId !== undefined && bytesEqual(sid.ski, cert.subjectKeyId);
}

function singleValue(si: FastSignerInfo, oid: string): Tlv | undefined {
  const found = si.signedAttrs?.attrs.filter((a) => a.oid === oid) ?? [];
  return found.length === 1 && found[0]?.values.length === 1 ? found[0].values[0] : undefined;
}

/** Verifies one signer over the content with `signer`'s key; throws on any failure. Returns the scheme name. */
export function fastVerifySigner(
  si: FastSignerInfo,
  sd: FastSignedData,
  signer: FastCert,
  step: ValidationStep,
): string {
  const content = sd.content;
  if (content === undefined) throw unsupported('no encapsulated content');
  const hash = digestName(si.digestOid, step);
  const scheme = signatureScheme({ oid: si.signatureOid, params: undefined }, si.digestOid, step);
  let signed = content;
  if (si.signedAttrs === undefined) {
    if (sd.eContentType !== OID.data) throw unsupported('no signed attributes');
  } else {
    if (oidOf(singleValue(si, OID.attrContentType)) !== sd.eContentType) throw unsupported('content-type attribute');
    const md = primitive(singleValue(si, OID.attrMessageDigest), TAG.octetString);
    if (!bytesEqual(md, digest(hash, content))) throw unsupported('message-digest attribute');
    signed = si.signedAttrs.der;
  }
  if (!verifySignature(scheme, signer.publicKey, signed, si.signature, step)) throw unsupported('signature');
  return scheme.name;
}
