/**
 * Opens an IDevID key (and certificate) held in hardware, from the `[Device]` settings: a `pkcs11:`
 * URI (./device-key-pkcs11.ts) or a `tpm2:` persistent handle (./device-key-tpm2.ts), and a
 * certificate from a `tpm2-nv:` index. Every key is proved at start-up ({@link probeDeviceKey}):
 * module, token, PIN and object or handle work, within the deadline, and the key belongs to the
 * IDevID certificate. Each failure is a coded configuration error before any server is contacted.
 * @module
 */
import { verify, X509Certificate } from 'node:crypto';
import { access, constants as fsConstants } from 'node:fs/promises';
import { basename } from 'node:path';
import type { DeviceKey } from '../contracts/device-key.ts';
import { SztpError } from '../errors.ts';
import { pkcs11DeviceKey } from './device-key-pkcs11.ts';
import type { KeyRef } from './device-key-ref.ts';
import { probeTlsProvider, readNvCertificate, tpm2DeviceKey } from './device-key-tpm2.ts';
import { defaultEnginePath } from './openssl-engine.ts';

/** The `[Device]` settings of hardware keys. */
export interface HardwareKeySettings {
  readonly pkcs11Module?: string;
  readonly pkcs11PinFile?: string;
  readonly pkcs11Engine?: string;
  readonly tpm2Tcti: string;
  readonly keyTimeoutSeconds: number;
}

export const DEFAULT_HARDWARE: HardwareKeySettings = { tpm2Tcti: 'device:/dev/tpmrm0', keyTimeoutSeconds: 10 };

/** Start-up proof of a key: it signs, within the deadline, and the signature verifies with the certificate's public key. */
export async function probeDeviceKey(key: DeviceKey, certificate: Uint8Array): Promise<void> {
  const challenge = Buffer.from(`sztp-agent key probe ${Date.now()}`);
  const signature = await key.sign(challenge, 'sha256');
  if (!verify('sha256', challenge, new X509Certificate(certificate).publicKey, signature)) {
    throw new SztpError(
      'SZTP_ERR_DEVICE_KEY_MISMATCH',
      `the ${key.kind} key does not belong to the IDevID certificate (its signature fails with the certificate's public key)`,
    );
  }
}

async function readable(
  path: string,
  code: 'SZTP_ERR_DEVICE_KEY_PIN' | 'SZTP_ERR_DEVICE_KEY_MODULE',
  what: string,
): Promise<void> {
  await access(path, fsConstants.R_OK).catch((err: unknown) => {
    throw new SztpError(code, `cannot read the ${what} ${path}`, { cause: err, evidence: { path } });
  });
}

/** The DeviceKey of a hardware reference, probed against `certificate`. */
export async function openHardwareKey(
  ref: Exclude<KeyRef, { kind: 'file' }>,
  certificate: Uint8Array,
  s: HardwareKeySettings,
): Promise<DeviceKey> {
  const timeoutMs = s.keyTimeoutSeconds * 1000;
  const type = new X509Certificate(certificate).publicKey.asymmetricKeyType === 'ec' ? 'ec' : 'rsa';
  let key: DeviceKey;
  if (ref.kind === 'pkcs11') {
    if (s.pkcs11Module === undefined)
      throw new SztpError(
        'SZTP_ERR_CONFIG_VALUE',
        'idevid_key is a pkcs11: URI: [Device] pkcs11_module must name the PKCS#11 module',
      );
    const engine = s.pkcs11Engine ?? defaultEnginePath();
    await readable(s.pkcs11Module, 'SZTP_ERR_DEVICE_KEY_MODULE', 'PKCS#11 module');
    await readable(engine, 'SZTP_ERR_DEVICE_KEY_MODULE', 'PKCS#11 engine (Debian: libengine-pkcs11-openssl)');
    if (basename(engine) !== 'pkcs11.so')
      throw new SztpError(
        'SZTP_ERR_DEVICE_KEY_MODULE',
        `the PKCS#11 engine ${engine} must be a file named pkcs11.so (OpenSSL loads it by its id from its directory)`,
        { evidence: { path: engine } },
      );
    if (s.pkcs11PinFile !== undefined) await readable(s.pkcs11PinFile, 'SZTP_ERR_DEVICE_KEY_PIN', 'PIN file');
    key = pkcs11DeviceKey({
      uri: ref.uri,
      module: s.pkcs11Module,
      engine,
      timeoutMs,
      type,
      ...(s.pkcs11PinFile === undefined ? {} : { pinFile: s.pkcs11PinFile }),
    });
  } else {
    key = tpm2DeviceKey({ handle: ref.handle, tcti: s.tpm2Tcti, timeoutMs, type });
  }
  await probeDeviceKey(key, certificate);
  if (ref.kind === 'tpm2') await probeTlsProvider({ tcti: s.tpm2Tcti, timeoutMs });
  return key;
}

/** The IDevID certificate from a TPM NV index. */
export function readTpmCertificate(index: string, s: HardwareKeySettings): Promise<Uint8Array> {
  return readNvCertificate({ tcti: s.tpm2Tcti, timeoutMs: s.keyTimeoutSeconds * 1000 }, index);
}
