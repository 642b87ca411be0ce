/**
 * The `file` DeviceKey (src/contracts/device-key.ts): the IDevID private key read from a PEM file
 * (src/platform/credentials.ts), held as a node:crypto KeyObject. TLS gets it as PEM; signing, RSA-OAEP
 * unwrap and ECDH run in-process. A key in a TPM or HSM is another implementation of the same port.
 * @module
 */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  privateDecrypt,
  sign,
  type KeyObject,
} from 'node:crypto';
import type { DeviceKey } from '../contracts/device-key.ts';
import type { DeviceCredentials } from '../types.ts';

/** The result of `f` as a promise: a failure is a rejection, as for a key in hardware, never a synchronous throw. */
function settle<T>(f: () => T): Promise<T> {
  return Promise.resolve().then(f);
}

/** The file key over PKCS#8 DER (throws when the bytes are not a private key). */
export function fileDeviceKey(pkcs8: Uint8Array): DeviceKey {
  const key: KeyObject = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  const type = key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss' ? 'rsa' : 'ec';
  return {
    kind: 'file',
    type,
    tlsClientOptions: () => settle(() => ({ key: key.export({ type: 'pkcs8', format: 'pem' }) })),
    sign: (data, digest) => settle(() => new Uint8Array(sign(digest, data, key))),
    unwrapRsaOaep: (encryptedKey, digest) =>
      settle(
        () =>
          new Uint8Array(
            privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: digest }, encryptedKey),
          ),
      ),
    deriveEcdh: (peer) =>
      settle(
        () =>
          new Uint8Array(
            diffieHellman({
              privateKey: key,
              publicKey: createPublicKey({ key: Buffer.from(peer), format: 'der', type: 'spki' }),
            }),
          ),
      ),
  };
}

/** The device key of `credentials`: the one given, else the file key over the loaded PKCS#8 bytes, else none. */
export function deviceKeyOf(credentials: DeviceCredentials | undefined): DeviceKey | undefined {
  if (credentials?.key !== undefined) return credentials.key;
  return credentials?.privateKeyPkcs8 === undefined ? undefined : fileDeviceKey(credentials.privateKeyPkcs8);
}
