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
import { ValidationError, type ValidationStep } from '../../errors.ts';
import type { DeviceCredentials } from '../../types.ts';
import { bytesEqual, concatBytes, guard } from '../asn1.ts';
import { CONTEXT, DerError, T, UNIVERSAL, algId, bitString, expect, octets, oidOf, parseDer, tlv, type AlgId, type Der } from '../der.ts';
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

/** [n] IMPLICIT OCTET STRING content (primitive or constructed). */
function implicitOctets(d: Der): Uint8Array {
  if (!d.constructed) return d.content;
  return concatBytes(d.children.map((c) => octets(c)));
}

/** rid: IssuerAndSerialNumber SEQUENCE, [0] SKI (ktri) or [0] RecipientKeyIdentifier (kari). */
function ridMatches(rid: Der, device: ParsedCert): boolean {
  if (rid.is(UNIVERSAL, T.SEQUENCE)) return bytesEqual(rid.child(0).raw, device.issuerDer) && bytesEqual(expect(rid.child(1), T.INTEGER, 'serial').content, device.serial);
  if (rid.is(CONTEXT, 0)) {
    const ski = rid.constructed ? octets(rid.child(0)) : rid.content;
    return device.subjectKeyId !== undefined && bytesEqual(ski, device.subjectKeyId);
  }
  return false;
}

function oaepUnwrap(alg: AlgId, encryptedKey: Uint8Array, key: KeyObject, step: ValidationStep): Uint8Array {
  if (alg.oid === OID.rsaEncryption) {
    throw unsupported(step, 'key-transport', alg.oid, ' (RSA PKCS#1 v1.5 key transport is refused: padding-oracle risk; use RSA-OAEP)');
  }
  if (alg.oid !== OID.rsaesOaep) throw unsupported(step, 'key-transport', alg.oid);
  let hashOid: string = OID.sha1;
  let mgf: AlgId = { oid: OID.mgf1, params: undefined };
  guard(step, 'SZTP_ERR_CMS_DECODE', 'RSAES-OAEP parameters', () => {
    if (alg.params === undefined) return;
    for (const f of expect(alg.params, T.SEQUENCE, 'RSAES-OAEP-params').children) {
      if (f.is(CONTEXT, 0)) hashOid = algId(f.child(0)).oid;
      else if (f.is(CONTEXT, 1)) mgf = algId(f.child(0));
      else if (f.is(CONTEXT, 2)) {
        const label = algId(f.child(0)).params;
        if (label !== undefined && octets(label).length > 0) throw new DerError('OAEP label not supported');
      }
    }
  });
  const hash = HASHES[hashOid];
  if (hash === undefined) throw unsupported(step, 'OAEP hash', hashOid);
  const mgfHash = mgf.params === undefined ? OID.sha1 : guard(step, 'SZTP_ERR_CMS_DECODE', 'MGF1 parameters', () => algId(mgf.params ?? parseDer(new Uint8Array())).oid);
  if (mgf.oid !== OID.mgf1 || mgfHash !== hashOid) throw unsupported(step, 'OAEP MGF1', mgfHash);
  try {
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, encryptedKey);
  } catch (err) {
    throw decryptError(step, 'RSA-OAEP key transport failed (wrong key or corrupt data)', err);
  }
}

function x963Kdf(hash: string, z: Uint8Array, sharedInfo: Uint8Array, bytes: number): Uint8Array {
  const out: Uint8Array[] = [];
  let have = 0;
  for (let counter = 1; have < bytes; counter++) {
    const block = createHash(hash).update(z).update(new Uint8Array([counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff])).update(sharedInfo).digest();
    out.push(block);
    have += block.byteLength;
  }
  return concatBytes(out).subarray(0, bytes);
}

interface Kari { readonly ephemeral: Uint8Array; readonly ukm: Uint8Array | undefined; readonly kea: AlgId; readonly wrapDer: Uint8Array; readonly wrapOid: string }

function readKari(k: Der): { kari: Kari; keys: readonly Der[] } {
  const c = k.children;
  let i = 1;
  const orig = expect(c[i++] ?? k, 0, 'originator', CONTEXT).child(0);
  if (!orig.is(CONTEXT, 1)) throw new DerError('non-ephemeral originator');
  const ephemeral = bitString(orig.child(1)).bits;
  let ukm: Uint8Array | undefined;
  if (c[i]?.is(CONTEXT, 1) === true) ukm = octets((c[i++] ?? k).child(0));
  const keaEl = expect(c[i++] ?? k, T.SEQUENCE, 'keyEncryptionAlgorithm');
  const kea = algId(keaEl);
  const wrapEl = expect(kea.params ?? keaEl, T.SEQUENCE, 'key-wrap algorithm');
  const keys = expect(c[i] ?? k, T.SEQUENCE, 'recipientEncryptedKeys').children;
  return { kari: { ephemeral, ukm, kea, wrapDer: wrapEl.raw, wrapOid: algId(wrapEl).oid }, keys };
}

function ecdhUnwrap(kari: Kari, encryptedKey: Uint8Array, key: KeyObject, device: ParsedCert, step: ValidationStep): Uint8Array {
  const kdfHash = KDF_HASH[kari.kea.oid];
  if (kdfHash === undefined) throw unsupported(step, 'key-agreement', kari.kea.oid);
  const wrap = WRAP[kari.wrapOid];
  if (wrap === undefined) throw unsupported(step, 'key-wrap', kari.wrapOid);
  try {
    const spki = tlv(0x30, concatBytes([device.spkiAlgorithmDer, tlv(0x03, concatBytes([new Uint8Array([0]), kari.ephemeral]))]));
    const publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const z = diffieHellman({ privateKey: key, publicKey });
    const bits = wrap.bytes * 8;
    // ECC-CMS-SharedInfo (RFC 5753 §7.2): entityUInfo only when a ukm is present (the pkijs bug).
    const sharedInfo = tlv(0x30, concatBytes([
      kari.wrapDer,
      ...(kari.ukm === undefined ? [] : [tlv(0xa0, tlv(0x04, kari.ukm))]),
      tlv(0xa2, tlv(0x04, new Uint8Array([bits >>> 24, (bits >>> 16) & 0xff, (bits >>> 8) & 0xff, bits & 0xff]))),
    ]));
    const kek = x963Kdf(kdfHash, z, sharedInfo, wrap.bytes);
    const d = createDecipheriv(wrap.cipher, kek, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
    return concatBytes([d.update(encryptedKey), d.final()]);
  } catch (err) {
    throw decryptError(step, 'ECDH key agreement / AES key unwrap failed (wrong key or corrupt data)', err);
  }
}

/** Decrypts EnvelopedData (DER/BER of the EnvelopedData element) with the device credentials. */
export function decryptEnvelopedData(envelopedData: Uint8Array, device: DeviceCredentials | undefined, step: ValidationStep): Decrypted {
  if (device?.privateKeyPkcs8 === undefined) {
    throw new ValidationError(step, 'SZTP_ERR_CMS_NO_DEVICE_KEY', 'the artifact is encrypted (EnvelopedData) but no IDevID certificate and private key are available');
  }
  const cert = parseCertificate(device.certificate, step, 'IDevID certificate');
  const key = guard(step, 'SZTP_ERR_CMS_NO_DEVICE_KEY', 'IDevID private key', () =>
    createPrivateKey({ key: Buffer.from(device.privateKeyPkcs8 ?? new Uint8Array()), format: 'der', type: 'pkcs8' }));
  const { recipients, eci } = guard(step, 'SZTP_ERR_CMS_DECODE', 'EnvelopedData', () => {
    const c = expect(parseDer(envelopedData), T.SEQUENCE, 'EnvelopedData').children;
    const i = c[1]?.is(CONTEXT, 0) === true ? 2 : 1;
    return { recipients: expect(c[i] ?? parseDer(new Uint8Array()), T.SET, 'recipientInfos').children, eci: expect(c[i + 1] ?? parseDer(new Uint8Array()), T.SEQUENCE, 'EncryptedContentInfo') };
  });
  if (recipients.length > 16) throw new ValidationError(step, 'SZTP_ERR_LIMIT_EXCEEDED', 'too many RecipientInfos');
  let cek: Uint8Array | undefined;
  let recipient: Decrypted['recipient'] = 'key-transport (RSA-OAEP)';
  for (const ri of recipients) {
    const found = guard(step, 'SZTP_ERR_CMS_DECODE', 'RecipientInfo', () => {
      if (ri.is(UNIVERSAL, T.SEQUENCE)) {
        const c = ri.children;
        return ridMatches(c[1] ?? ri, cert) ? { kind: 'ktri' as const, alg: algId(c[2] ?? ri), encryptedKey: octets(c[3] ?? ri) } : undefined;
      }
      if (ri.is(CONTEXT, 1)) {
        const { kari, keys } = readKari(ri);
        const rek = keys.find((k) => ridMatches(k.child(0), cert));
        return rek === undefined ? undefined : { kind: 'kari' as const, kari, encryptedKey: octets(rek.child(1)) };
      }
      return undefined;
    });
    if (found?.kind === 'ktri') {
      cek = oaepUnwrap(found.alg, found.encryptedKey, key, step);
      break;
    }
    if (found?.kind === 'kari') {
      cek = ecdhUnwrap(found.kari, found.encryptedKey, key, cert, step);
      recipient = 'key-agreement (ECDH)';
      break;
    }
  }
  if (cek === undefined) {
    throw new ValidationError(step, 'SZTP_ERR_CMS_DECRYPT', 'the EnvelopedData is not addressed to this device (no RecipientInfo names the IDevID certificate)', {
      evidence: { check: 'recipient', device: cert.subject },
    });
  }
  const { contentType, cea, iv, ciphertext } = guard(step, 'SZTP_ERR_CMS_DECODE', 'EncryptedContentInfo', () => {
    const c = eci.children;
    const a = algId(c[1] ?? eci);
    const enc = c[2];
    if (enc === undefined || !enc.is(CONTEXT, 0)) throw new DerError('no encrypted content');
    return { contentType: oidOf(eci.child(0)), cea: a, iv: a.params === undefined ? undefined : octets(a.params), ciphertext: implicitOctets(enc) };
  });
  const alg = CONTENT[cea.oid];
  if (alg === undefined) throw unsupported(step, 'content-encryption', cea.oid);
  if (iv?.length !== 16) throw new ValidationError(step, 'SZTP_ERR_CMS_DECODE', 'EnvelopedData lacks a 16-byte IV');
  if (cek.byteLength !== alg.bytes) throw decryptError(step, 'content-encryption key has the wrong length');
  try {
    const d = createDecipheriv(alg.cipher, cek, iv);
    return { contentType, plaintext: concatBytes([d.update(ciphertext), d.final()]), recipient };
  } catch (err) {
    throw decryptError(step, 'content decryption failed (wrong key or corrupt data)', err);
  }
}
