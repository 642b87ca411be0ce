/**
 * Optional encryption of an artifact to a device certificate (RFC 8572 §3.4): EnvelopedData with
 * RSA-OAEP/SHA-256 key transport for RSA devices or ECDH (ephemeral-static, with ukm) key
 * agreement for EC devices, AES-256-CBC content encryption, built by pkijs. The inner content
 * type is the RFC's `id-signedData` (the SignedData itself, not a ContentInfo) when the artifact
 * is a SignedData.
 * @module
 */
import * as pkijs from 'pkijs';
import { SztpError } from '../errors.ts';
import { toArrayBuffer } from '../validation/asn1.ts';
import { OID } from '../validation/oids.ts';
import { messageOf } from '../lib/error-info.ts';

/** Encrypts a DER ContentInfo `artifact` to `deviceCertificate` (DER). */
export async function encryptToDevice(artifact: Uint8Array, deviceCertificate: Uint8Array): Promise<Uint8Array> {
  try {
    const cert = pkijs.Certificate.fromBER(toArrayBuffer(deviceCertificate));
    const ci = pkijs.ContentInfo.fromBER(toArrayBuffer(artifact));
    const inner =
      ci.contentType === OID.signedData
        ? new Uint8Array((ci.content as { toBER(sizeOnly?: boolean): ArrayBuffer }).toBER(false))
        : artifact;
    const env = new pkijs.EnvelopedData();
    env.addRecipientByCertificate(cert, { oaepHashAlgorithm: 'SHA-256', kdfAlgorithm: 'SHA-256' });
    await env.encrypt(
      { name: 'AES-CBC', length: 256 } as Parameters<pkijs.EnvelopedData['encrypt']>[0],
      toArrayBuffer(inner),
    );
    if (ci.contentType === OID.signedData) env.encryptedContentInfo.contentType = OID.signedData;
    return new Uint8Array(
      new pkijs.ContentInfo({ contentType: OID.envelopedData, content: env.toSchema() }).toSchema().toBER(false),
    );
  } catch (err) {
    throw new SztpError(
      'SZTP_ERR_CMS_UNSUPPORTED_ALGORITHM',
      `bundle: cannot encrypt to the device certificate: ${messageOf(err)}`,
      { cause: err, stage: 'cli' },
    );
  }
}
