/**
 * CMS EnvelopedData decryption with the device's IDevID key (RFC 8572 §3.4, §5.3 C-069; RFC 5652
 * §6), on the structure pkijs parsed. Key transport: RSAES-OAEP (RFC 3560), decrypted by pkijs's
 * `EnvelopedData.decrypt` (WebCrypto RSA-OAEP + AES-CBC) after our algorithm checks. Key
 * agreement: ECDH ephemeral-static with the X9.63 KDF and AES key wrap (RFC 5753), done with
 * node:crypto on the fields of pkijs's parsed KeyAgreeRecipientInfo, because pkijs 4 derives a
 * wrong KEK when `ukm` is absent (PKI.js#335), which is what OpenSSL produces; the
 * ECC-CMS-SharedInfo is encoded with pkijs, entityUInfo only when a ukm exists. RSA PKCS#1 v1.5
 * key transport is REFUSED (SZTP_ERR_CMS_UNSUPPORTED_ALGORITHM): Node 20 forbids it for private
 * decryption and a software fallback would be a Bleichenbacher/Marvin padding oracle.
 * Content encryption: AES-128/192/256-CBC.
 * @module
 */
import { createDecipheriv, createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { DeviceKey, KeyDigest } from '../../contracts/device-key.ts';
import { isSztpError, ValidationError, type ValidationStep } from '../../errors.ts';
import { deviceKeyOf } from '../../platform/device-key-file.ts';
import type { IdevidView } from '../device.ts';
import {
  bytesEqual,
  childrenOf,
  concatBytes,
  decodeProblem,
  guard,
  guardAsync,
  octetsOf,
  toArrayBuffer,
} from '../asn1.ts';
import { OID, oidName } from '../oids.ts';
import type { ParsedCert } from '../x509/certificate.ts';
import { algIdOf, type AlgId } from './algorithms.ts';

const MAX_RECIPIENTS = 16;
const HASHES: Readonly<Record<string, KeyDigest>> = {
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};
const KDF_HASH: Readonly<Record<string, string>> = {
  [OID.ecdhSha1Kdf]: 'sha1',
  [OID.ecdhSha224Kdf]: 'sha224',
  [OID.ecdhSha256Kdf]: 'sha256',
  [OID.ecdhSha384Kdf]: 'sha384',
  [OID.ecdhSha512Kdf]: 'sha512',
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
  new ValidationError(
    step,
    'SZTP_ERR_CMS_UNSUPPORTED_ALGORITHM',
    `unsupported ${what} algorithm ${oidName(oid)}${why}`,
    { evidence: { check: what, algorithm: oid } },
  );

const decryptError = (step: ValidationStep, message: string, cause?: unknown): ValidationError =>
  new ValidationError(
    step,
    'SZTP_ERR_CMS_DECRYPT',
    message,
    cause === undefined ? { evidence: { check: 'decrypt' } } : { cause, evidence: { check: 'decrypt' } },
  );

/**
 * A failure of the key backend itself (token timeout, an operation the token lacks, e.g. ECDH on
 * tpm2-pkcs11) keeps its SZTP_ERR_DEVICE_KEY_* code: it is not a wrong key or corrupt data.
 */
const keyBackendError = (step: ValidationStep, err: unknown): ValidationError | undefined =>
  isSztpError(err) && err.code.startsWith('SZTP_ERR_DEVICE_KEY_')
    ? new ValidationError(step, err.code, err.message, { cause: err })
    : undefined;

/** IssuerAndSerialNumber, SKI OCTET STRING or RecipientKeyIdentifier naming `device`? */
function ridMatches(rid: unknown, device: ParsedCert): boolean {
  if (rid instanceof pkijs.IssuerAndSerialNumber) {
    return (
      bytesEqual(new Uint8Array(rid.issuer.valueBeforeDecode), device.issuerDer) &&
      bytesEqual(rid.serialNumber.valueBlock.valueHexView, device.serial)
    );
  }
  const ski = rid instanceof pkijs.RecipientKeyIdentifier ? rid.subjectKeyIdentifier : rid;
  return (
    ski instanceof asn1js.BaseBlock &&
    device.subjectKeyId !== undefined &&
    bytesEqual(octetsOf(ski), device.subjectKeyId)
  );
}

/** Our checks on a KeyTransRecipientInfo's algorithm; returns the OAEP digest. */
function checkOaep(alg: AlgId, step: ValidationStep): KeyDigest {
  if (alg.oid === OID.rsaEncryption) {
    throw unsupported(
      step,
      'key-transport',
      alg.oid,
      ' (RSA PKCS#1 v1.5 key transport is refused: padding-oracle risk; use RSA-OAEP)',
    );
  }
  if (alg.oid !== OID.rsaesOaep) throw unsupported(step, 'key-transport', alg.oid);
  const p = guard(step, 'SZTP_ERR_CMS_DECODE', 'RSAES-OAEP parameters', () => {
    const params =
      alg.params === undefined ? new pkijs.RSAESOAEPParams() : new pkijs.RSAESOAEPParams({ schema: alg.params });
    const mgfParams = params.maskGenAlgorithm.algorithmParams as asn1js.AsnType | undefined;
    const label = params.pSourceAlgorithm.algorithmParams as asn1js.AsnType | undefined;
    return {
      hashOid: params.hashAlgorithm.algorithmId,
      mgfOid: params.maskGenAlgorithm.algorithmId,
      mgfHash: mgfParams === undefined ? OID.sha1 : new pkijs.AlgorithmIdentifier({ schema: mgfParams }).algorithmId,
      // pkijs fills an absent pSourceAlgorithm with a non-empty default; only an explicit [2] counts.
      labelBytes:
        alg.params !== undefined &&
        childrenOf(alg.params).some((c) => c.idBlock.tagClass === 3 && c.idBlock.tagNumber === 2) &&
        label instanceof asn1js.OctetString
          ? octetsOf(label).byteLength
          : 0,
    };
  });
  const digest = HASHES[p.hashOid];
  if (digest === undefined) throw unsupported(step, 'OAEP hash', p.hashOid);
  if (p.mgfOid !== OID.mgf1 || p.mgfHash !== p.hashOid) throw unsupported(step, 'OAEP MGF1', p.mgfHash);
  if (p.labelBytes > 0) throw unsupported(step, 'OAEP label', p.hashOid, ' (a non-empty label is not supported)');
  return digest;
}

function x963Kdf(hash: string, z: Uint8Array, sharedInfo: Uint8Array, bytes: number): Uint8Array {
  const out: Uint8Array[] = [];
  let have = 0;
  for (let counter = 1; have < bytes; counter++) {
    const block = createHash(hash)
      .update(z)
      .update(new Uint8Array([counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff]))
      .update(sharedInfo)
      .digest();
    out.push(block);
    have += block.byteLength;
  }
  return concatBytes(out).subarray(0, bytes);
}

/** ECDH + X9.63 KDF + AES key unwrap for one KeyAgreeRecipientInfo (the PKI.js#335 workaround). */
async function ecdhUnwrap(
  kari: pkijs.KeyAgreeRecipientInfo,
  encryptedKey: Uint8Array,
  key: DeviceKey,
  device: ParsedCert,
  step: ValidationStep,
): Promise<Uint8Array> {
  const kea = algIdOf(kari.keyEncryptionAlgorithm);
  const kdfHash = KDF_HASH[kea.oid];
  if (kdfHash === undefined) throw unsupported(step, 'key-agreement', kea.oid);
  const wrapAlg = guard(step, 'SZTP_ERR_CMS_DECODE', 'key-wrap algorithm', () => {
    if (kea.params === undefined) throw decodeProblem('missing');
    return new pkijs.AlgorithmIdentifier({ schema: kea.params });
  });
  const wrap = WRAP[wrapAlg.algorithmId];
  if (wrap === undefined) throw unsupported(step, 'key-wrap', wrapAlg.algorithmId);
  const originator: unknown = kari.originator.value;
  if (kari.originator.variant !== 3 || !(originator instanceof pkijs.OriginatorPublicKey))
    throw decryptError(step, 'KeyAgreeRecipientInfo without an ephemeral originator key is not supported');
  try {
    // The ephemeral point on the device key's curve (originator parameters are absent or NULL, RFC 5753 §3.1.1).
    const spki = new pkijs.PublicKeyInfo({
      algorithm: device.cert.subjectPublicKeyInfo.algorithm,
      subjectPublicKey: new asn1js.BitString({ valueHex: toArrayBuffer(originator.publicKey.valueBlock.valueHexView) }),
    });
    const z = await key.deriveEcdh(new Uint8Array(spki.toSchema().toBER(false)));
    const bits = wrap.bytes * 8;
    // ECC-CMS-SharedInfo (RFC 5753 §7.2): entityUInfo only when a ukm is present (the pkijs bug passes it always).
    const sharedInfo = new pkijs.ECCCMSSharedInfo({
      keyInfo: wrapAlg,
      ...(kari.ukm === undefined ? {} : { entityUInfo: kari.ukm }),
      suppPubInfo: new asn1js.OctetString({
        valueHex: new Uint8Array([bits >>> 24, (bits >>> 16) & 0xff, (bits >>> 8) & 0xff, bits & 0xff]).buffer,
      }),
    });
    const kek = x963Kdf(kdfHash, z, new Uint8Array(sharedInfo.toSchema().toBER(false)), wrap.bytes);
    const d = createDecipheriv(wrap.cipher, kek, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
    return concatBytes([d.update(encryptedKey), d.final()]);
  } catch (err) {
    throw (
      keyBackendError(step, err) ??
      decryptError(step, 'ECDH key agreement / AES key unwrap failed (wrong key or corrupt data)', err)
    );
  }
}

function decryptContent(eci: pkijs.EncryptedContentInfo, cek: Uint8Array, step: ValidationStep): Uint8Array {
  const cea = algIdOf(eci.contentEncryptionAlgorithm);
  const alg = CONTENT[cea.oid];
  if (alg === undefined) throw unsupported(step, 'content-encryption', cea.oid);
  const iv = cea.params instanceof asn1js.OctetString ? octetsOf(cea.params) : undefined;
  if (iv?.length !== 16) throw new ValidationError(step, 'SZTP_ERR_CMS_DECODE', 'EnvelopedData lacks a 16-byte IV');
  if (eci.encryptedContent === undefined)
    throw new ValidationError(step, 'SZTP_ERR_CMS_DECODE', 'EnvelopedData has no encrypted content');
  const ciphertext = guard(step, 'SZTP_ERR_CMS_DECODE', 'encryptedContent', () =>
    octetsOf(eci.encryptedContent ?? new asn1js.OctetString()),
  );
  if (cek.byteLength !== alg.bytes) throw decryptError(step, 'content-encryption key has the wrong length');
  try {
    const d = createDecipheriv(alg.cipher, cek, iv);
    return concatBytes([d.update(ciphertext), d.final()]);
  } catch (err) {
    throw decryptError(step, 'content decryption failed (wrong key or corrupt data)', err);
  }
}

/** Decrypts an EnvelopedData (parsed by pkijs) with the device's IDevID key (through its DeviceKey port). */
export async function decryptEnvelopedData(
  env: pkijs.EnvelopedData,
  device: IdevidView,
  step: ValidationStep,
): Promise<Decrypted> {
  const hasKey = device.credentials?.key !== undefined || device.credentials?.privateKeyPkcs8 !== undefined;
  const cert = hasKey ? device.certificate(step) : undefined;
  if (!hasKey || cert === undefined) {
    throw new ValidationError(
      step,
      'SZTP_ERR_CMS_NO_DEVICE_KEY',
      'the artifact is encrypted (EnvelopedData) but no IDevID certificate and private key are available',
    );
  }
  const key = guard(step, 'SZTP_ERR_CMS_NO_DEVICE_KEY', 'IDevID private key', () => deviceKeyOf(device.credentials));
  if (key === undefined) throw new ValidationError(step, 'SZTP_ERR_CMS_NO_DEVICE_KEY', 'no IDevID private key');
  if (env.recipientInfos.length > MAX_RECIPIENTS)
    throw new ValidationError(step, 'SZTP_ERR_LIMIT_EXCEEDED', 'too many RecipientInfos');
  const eci = env.encryptedContentInfo;
  const contentType = eci.contentType;
  for (const ri of env.recipientInfos) {
    const value: unknown = ri.value;
    if (value instanceof pkijs.KeyTransRecipientInfo && ridMatches(value.rid, cert)) {
      const digest = checkOaep(algIdOf(value.keyEncryptionAlgorithm), step);
      const cea = algIdOf(eci.contentEncryptionAlgorithm);
      if (CONTENT[cea.oid] === undefined) throw unsupported(step, 'content-encryption', cea.oid);
      const cek = await guardAsync(
        step,
        'SZTP_ERR_CMS_DECRYPT',
        'RSA-OAEP key transport / content decryption failed (wrong key or corrupt data)',
        () =>
          key.unwrapRsaOaep(octetsOf(value.encryptedKey), digest).catch((err: unknown) => {
            throw keyBackendError(step, err) ?? err;
          }),
      );
      return { contentType, plaintext: decryptContent(eci, cek, step), recipient: 'key-transport (RSA-OAEP)' };
    }
    if (value instanceof pkijs.KeyAgreeRecipientInfo) {
      const rek = value.recipientEncryptedKeys.encryptedKeys.find((k) => ridMatches(k.rid.value, cert));
      if (rek === undefined) continue;
      const cek = await ecdhUnwrap(value, octetsOf(rek.encryptedKey), key, cert, step);
      return { contentType, plaintext: decryptContent(eci, cek, step), recipient: 'key-agreement (ECDH)' };
    }
  }
  throw new ValidationError(
    step,
    'SZTP_ERR_CMS_DECRYPT',
    'the EnvelopedData is not addressed to this device (no RecipientInfo names the IDevID certificate)',
    {
      evidence: { check: 'recipient', device: cert.subject },
    },
  );
}
