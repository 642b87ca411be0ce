/**
 * Builds CMS artifacts in process with pkijs + node:crypto (RFC 5652; RFC 8572 §3.1, §3.2):
 * a SignedData over conveyed information (eContentType id-ct-sztpConveyedInfoJSON/XML, signed
 * attributes content-type and message-digest in DER SET OF order, signer by issuerAndSerialNumber)
 * and the degenerate certs-only SignedData for the owner certificate.
 * @module
 */
import { createHash, sign as cryptoSign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SztpError } from '../errors.ts';
import { toArrayBuffer } from '../validation/asn1.ts';
import { OID } from '../validation/oids.ts';

export interface OwnerSigner {
  /** DER of the owner end-entity certificate. */
  readonly certificate: Uint8Array;
  /** DER of intermediates (and optionally the pinned certificate). */
  readonly chain: readonly Uint8Array[];
  readonly privateKey: KeyObject;
}

function parseCert(der: Uint8Array): pkijs.Certificate {
  try {
    return pkijs.Certificate.fromBER(toArrayBuffer(der));
  } catch (err) {
    throw new SztpError('SZTP_ERR_CMS_DECODE', 'bundle: a certificate is not valid DER', { cause: err, stage: 'cli' });
  }
}

/** Hash and signature algorithm for a key: SHA-256 (RSA, P-256), SHA-384 (P-384), SHA-512 (P-521). */
function algorithmsFor(key: KeyObject): { hash: 'sha256' | 'sha384' | 'sha512'; digestOid: string; sigOid: string } {
  if (key.asymmetricKeyType === 'rsa') return { hash: 'sha256', digestOid: OID.sha256, sigOid: OID.sha256WithRsa };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') return { hash: 'sha384', digestOid: OID.sha384, sigOid: OID.ecdsaSha384 };
    if (curve === 'secp521r1') return { hash: 'sha512', digestOid: OID.sha512, sigOid: OID.ecdsaSha512 };
    if (curve === 'prime256v1') return { hash: 'sha256', digestOid: OID.sha256, sigOid: OID.ecdsaSha256 };
  }
  throw new SztpError(
    'SZTP_ERR_CMS_UNSUPPORTED_ALGORITHM',
    `bundle: owner key type ${key.asymmetricKeyType ?? '?'} is not RSA or EC P-256/P-384/P-521`,
    { stage: 'cli' },
  );
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return a.length - b.length;
}

function contentInfo(contentType: string, content: asn1js.AsnType): Uint8Array {
  return new Uint8Array(new pkijs.ContentInfo({ contentType, content }).toSchema().toBER(false));
}

/** A DER ContentInfo(SignedData) over `content`, signed by the owner. */
export function signContent(
  content: Uint8Array,
  eContentType: string,
  signer: OwnerSigner,
  includeCertificates = false,
): Uint8Array {
  const cert = parseCert(signer.certificate);
  const alg = algorithmsFor(signer.privateKey);
  const digest = createHash(alg.hash).update(content).digest();
  const attributes = [
    new pkijs.Attribute({ type: OID.attrContentType, values: [new asn1js.ObjectIdentifier({ value: eContentType })] }),
    new pkijs.Attribute({
      type: OID.attrMessageDigest,
      values: [new asn1js.OctetString({ valueHex: toArrayBuffer(digest) })],
    }),
  ]
    .map((a) => ({ a, der: new Uint8Array(a.toSchema().toBER(false)) }))
    .sort((x, y) => compareBytes(x.der, y.der));
  const signedAttrsDer = new Uint8Array(new asn1js.Set({ value: attributes.map((x) => x.a.toSchema()) }).toBER(false));
  const signature = cryptoSign(alg.hash, signedAttrsDer, { key: signer.privateKey, dsaEncoding: 'der' });
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: alg.digestOid }),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: attributes.map((x) => x.a) }),
    signatureAlgorithm: new pkijs.AlgorithmIdentifier(
      alg.sigOid === OID.sha256WithRsa
        ? { algorithmId: alg.sigOid, algorithmParams: new asn1js.Null() }
        : { algorithmId: alg.sigOid },
    ),
    signature: new asn1js.OctetString({ valueHex: toArrayBuffer(signature) }),
  });
  const sd = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: alg.digestOid })],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType,
      eContent: new asn1js.OctetString({ valueHex: toArrayBuffer(content) }),
    }),
    signerInfos: [signerInfo],
    ...(includeCertificates ? { certificates: [cert, ...signer.chain.map(parseCert)] } : {}),
  });
  return contentInfo(OID.signedData, sd.toSchema(true) as asn1js.AsnType);
}

/** The degenerate certs-only SignedData (as `openssl crl2pkcs7 -nocrl` makes it). */
export function certsOnly(certificates: readonly Uint8Array[]): Uint8Array {
  const sd = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    certificates: certificates.map(parseCert),
    signerInfos: [],
  });
  return contentInfo(OID.signedData, sd.toSchema(true) as asn1js.AsnType);
}
