/**
 * CMS EnvelopedData decryption with the device's IDevID key (RFC 8572 §3.4, §5.3 C-069; RFC 5652
 * §6). Key transport: RSAES-OAEP (RFC 3560). Key agreement: ECDH ephemeral-static with the X9.63
 * KDF and AES key wrap (RFC 5753), done here with node:crypto because pkijs 4 derives a wrong KEK
 * when `ukm` is absent (PKI.js#335), which is what OpenSSL produces. RSA PKCS#1 v1.5 key transport
 * is REFUSED (SZTP_ERR_CMS_UNSUPPORTED_ALGORITHM): Node 20 forbids it for private decryption and
 * a software fallback would be a Bleichenbacher/Marvin padding oracle. Content: AES-CBC.
 * @module
 */
import { constants, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, privateDecrypt, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ValidationError, type ValidationStep } from '../../errors.ts';
import type { DeviceCredentials } from '../../types.ts';
import { bytesEqual, concatBytes, guard, octetContent } from '../asn1.ts';
import { OID, oidName } from '../oids.ts';
import { parseCertificate, type ParsedCert } from '../x509/certificate.ts';

const HASHES: Readonly<Record<string, string>> = { [OID.sha1]: 'sha1', [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512' };
const KDF_HASH: Readonly<Record<string, string>> = {
  [OID.ecdhSha1Kdf]: 'sha1', [OID.ecdhSha224Kdf]: 'sha224', [OID.ecdhSha256Kdf]: 'sha256', [OID.ecdhSha384Kdf]: 'sha384', [OID.ecdhSha512Kdf]: 'sha512',
};
const WRAP: Readonly<Record<string, { cipher: string; bytes: number }>> = {
  [OID.aes128Wrap]: { cipher: 'id-aes128-wrap', bytes: 16 },
  [OID.aes192Wrap]: { cipher: 'id-aes192-wrap', bytes: 24 },
  [OID.aes256Wrap]: { cipher: 'id-aes256-wrap', bytes: 32 },
};
const CONTENT: Readonly<Record<string, { cipher: string; bytes: number }>> = {
  [OID.aes128Cbc]: { cipher: 'aes-128-cbc', bytes: 16 },
  [OID.aes192Cbc]: { cipher: 'aes-192-cbc', bytes: 24 },
  [OID.aes256Cbc]: { cipher: 'aes-256-cbc', bytes: 32 },
};

export interface Decrypted {
  readonly contentType: string;
  readonly plaintext: Uint8Array;
  readonly recipient: 'key-transport (RSA-OAEP)' | 'key-agreement (ECDH)';
}

const unsupported = (step: ValidationStep, what: string, oid: string, why = ''): ValidationError =>
  new ValidationError(step, 'SZTP_ERR_CMS_UNSUPPORTED_ALGORITHM', `unsupported ${what} algorithm ${oidName(oid)}${why}`, { evidence: { check: what, algorithm: oid } });

const decryptError = (step: ValidationStep, message: string, cause?: unknown): ValidationError =>
  new ValidationError(step, 'SZTP_ERR_CMS_DECRYPT', message, cause === undefined ? { evidence: { check: 'decrypt' } } : { cause, evidence: { check: 'decrypt' } });

function ridMatches(rid: unknown, device: ParsedCert): boolean {
  if (rid instanceof pkijs.IssuerAndSerialNumber) return rid.issuer.isEqual(device.pkijs.issuer) && rid.serialNumber.isEqual(device.pkijs.serialNumber);
  if (rid instanceof pkijs.RecipientKeyIdentifier) rid = rid.subjectKeyIdentifier;
  if (rid instanceof asn1js.OctetString || rid instanceof asn1js.Primitive) {
    return device.subjectKeyId !== undefined && bytesEqual(new Uint8Array(rid.valueBlock.valueHexView), device.subjectKeyId);
  }
  return false;
}

function oaepUnwrap(ktri: pkijs.KeyTransRecipientInfo, key: KeyObject, step: ValidationStep): Uint8Array {
  const alg = ktri.keyEncryptionAlgorithm;
  if (alg.algorithmId === OID.rsaEncryption) {
    throw unsupported(step, 'key-transport', alg.algorithmId, ' (RSA PKCS#1 v1.5 key transport is refused: padding-oracle risk; use RSA-OAEP)');
  }
  if (alg.algorithmId !== OID.rsaesOaep) throw unsupported(step, 'key-transport', alg.algorithmId);
  const params = guard(step, 'SZTP_ERR_CMS_DECODE', 'RSAES-OAEP parameters', () =>
    alg.algorithmParams instanceof asn1js.Sequence ? new pkijs.RSAESOAEPParams({ schema: alg.algorithmParams }) : new pkijs.RSAESOAEPParams());
  const hash = HASHES[params.hashAlgorithm.algorithmId];
  if (hash === undefined) throw unsupported(step, 'OAEP hash', params.hashAlgorithm.algorithmId);
  const mgf = params.maskGenAlgorithm.algorithmParams instanceof asn1js.Sequence
    ? new pkijs.AlgorithmIdentifier({ schema: params.maskGenAlgorithm.algorithmParams }).algorithmId : OID.sha1;
  if (params.maskGenAlgorithm.algorithmId !== OID.mgf1 || mgf !== params.hashAlgorithm.algorithmId) throw unsupported(step, 'OAEP MGF1', mgf);
  try {
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, ktri.encryptedKey.valueBlock.valueHexView);
  } catch (err) {
    throw decryptError(step, 'RSA-OAEP key transport failed (wrong key or corrupt data)', err);
  }
}

function x963Kdf(hash: string, z: Uint8Array, sharedInfo: Uint8Array, bytes: number): Uint8Array {
  const out: Uint8Array[] = [];
  let have = 0;
  for (let counter = 1; have < bytes; counter++) {
    const c = new Uint8Array([counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff]);
    const block = createHash(hash).update(z).update(c).update(sharedInfo).digest();
    out.push(block);
    have += block.byteLength;
  }
  return concatBytes(out).subarray(0, bytes);
}

function ecdhUnwrap(kari: pkijs.KeyAgreeRecipientInfo, rek: pkijs.RecipientEncryptedKey, key: KeyObject, device: ParsedCert, step: ValidationStep): Uint8Array {
  const kdfHash = KDF_HASH[kari.keyEncryptionAlgorithm.algorithmId];
  if (kdfHash === undefined) throw unsupported(step, 'key-agreement', kari.keyEncryptionAlgorithm.algorithmId);
  const wrapAlg = guard(step, 'SZTP_ERR_CMS_DECODE', 'key-wrap algorithm', () =>
    new pkijs.AlgorithmIdentifier({ schema: kari.keyEncryptionAlgorithm.algorithmParams as asn1js.AsnType }));
  const wrap = WRAP[wrapAlg.algorithmId];
  if (wrap === undefined) throw unsupported(step, 'key-wrap', wrapAlg.algorithmId);
  if (kari.originator.variant !== 3 || !(kari.originator.value instanceof pkijs.OriginatorPublicKey)) {
    throw unsupported(step, 'key-agreement originator', 'non-ephemeral originator');
  }
  const ephemeral = new Uint8Array(kari.originator.value.publicKey.valueBlock.valueHexView);
  try {
    const spki = new asn1js.Sequence({
      value: [device.pkijs.subjectPublicKeyInfo.algorithm.toSchema(), new asn1js.BitString({ valueHex: ephemeral })],
    }).toBER(false);
    const publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const z = diffieHellman({ privateKey: key, publicKey });
    const info: asn1js.AsnType[] = [wrapAlg.toSchema()];
    if (kari.ukm !== undefined) info.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.OctetString({ valueHex: kari.ukm.valueBlock.valueHexView })] }));
    const bits = wrap.bytes * 8;
    info.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 2 }, value: [new asn1js.OctetString({ valueHex: new Uint8Array([bits >>> 24, (bits >>> 16) & 0xff, (bits >>> 8) & 0xff, bits & 0xff]) })] }));
    const sharedInfo = new Uint8Array(new asn1js.Sequence({ value: info }).toBER(false));
    const kek = x963Kdf(kdfHash, z, sharedInfo, wrap.bytes);
    const d = createDecipheriv(wrap.cipher, kek, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
    return concatBytes([d.update(rek.encryptedKey.valueBlock.valueHexView), d.final()]);
  } catch (err) {
    throw decryptError(step, 'ECDH key agreement / AES key unwrap failed (wrong key or corrupt data)', err);
  }
}

/** Decrypts EnvelopedData with the device credentials. */
export function decryptEnvelopedData(env: pkijs.EnvelopedData, device: DeviceCredentials | undefined, step: ValidationStep): Decrypted {
  if (device?.privateKeyPkcs8 === undefined) {
    throw new ValidationError(step, 'SZTP_ERR_CMS_NO_DEVICE_KEY', 'the artifact is encrypted (EnvelopedData) but no IDevID certificate and private key are available');
  }
  const cert = parseCertificate(device.certificate, step, 'IDevID certificate');
  const key = guard(step, 'SZTP_ERR_CMS_NO_DEVICE_KEY', 'IDevID private key', () =>
    createPrivateKey({ key: Buffer.from(device.privateKeyPkcs8 ?? new Uint8Array()), format: 'der', type: 'pkcs8' }));
  if (env.recipientInfos.length > 16) throw new ValidationError(step, 'SZTP_ERR_LIMIT_EXCEEDED', 'too many RecipientInfos');
  let cek: Uint8Array | undefined;
  let recipient: Decrypted['recipient'] = 'key-transport (RSA-OAEP)';
  for (const ri of env.recipientInfos) {
    const v: unknown = ri.value;
    if (v instanceof pkijs.KeyTransRecipientInfo && ridMatches(v.rid, cert)) {
      cek = oaepUnwrap(v, key, step);
      break;
    }
    if (v instanceof pkijs.KeyAgreeRecipientInfo) {
      const rek = v.recipientEncryptedKeys.encryptedKeys.find((k) => ridMatches(k.rid.value, cert));
      if (rek !== undefined) {
        cek = ecdhUnwrap(v, rek, key, cert, step);
        recipient = 'key-agreement (ECDH)';
        break;
      }
    }
  }
  if (cek === undefined) {
    throw new ValidationError(step, 'SZTP_ERR_CMS_DECRYPT', 'the EnvelopedData is not addressed to this device (no RecipientInfo names the IDevID certificate)', {
      evidence: { check: 'recipient', device: cert.subject },
    });
  }
  const eci = env.encryptedContentInfo;
  const alg = CONTENT[eci.contentEncryptionAlgorithm.algorithmId];
  if (alg === undefined) throw unsupported(step, 'content-encryption', eci.contentEncryptionAlgorithm.algorithmId);
  const ivParam = eci.contentEncryptionAlgorithm.algorithmParams as unknown;
  if (!(ivParam instanceof asn1js.OctetString) || eci.encryptedContent === undefined) throw new ValidationError(step, 'SZTP_ERR_CMS_DECODE', 'EnvelopedData lacks IV or encrypted content');
  if (cek.byteLength !== alg.bytes) throw decryptError(step, 'content-encryption key has the wrong length');
  try {
    const d = createDecipheriv(alg.cipher, cek, octetContent(ivParam));
    const plaintext = concatBytes([d.update(octetContent(eci.encryptedContent)), d.final()]);
    return { contentType: eci.contentType, plaintext, recipient };
  } catch (err) {
    throw decryptError(step, 'content decryption failed (wrong key or corrupt data)', err);
  }
}
