/**
 * Loads the device's credentials from the files named in `[Device]`: the IDevID certificate
 * (PEM, followed by its intermediates), its private key (PEM PKCS#8, SEC1 or PKCS#1, converted to
 * PKCS#8 DER), and PEM bundles of trust anchors (DER list). The serial number comes from the
 * IDevID subject serialNumber attribute (2.5.4.5), as RFC 8572 §5.4 / RFC 8366 expect. Keys and
 * certificates held in a TPM or on a PKCS#11 token are opened through ./device-key-hardware.ts.
 * @module
 */
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as pkijs from 'pkijs';
import { SztpError } from '../errors.ts';
import { messageOf } from '../lib/error-info.ts';
import { certificatesFromPemOrDer } from '../lib/pem.ts';
import type { DeviceCredentials } from '../types.ts';
import {
  DEFAULT_HARDWARE,
  openHardwareKey,
  readTpmCertificate,
  type HardwareKeySettings,
} from './device-key-hardware.ts';
import { certRefOf, keyRefOf } from './device-key-ref.ts';

const OID_SERIAL_NUMBER = '2.5.4.5';

async function readConfigured(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new SztpError('SZTP_ERR_CONFIG_FILE', `cannot read ${what} ${path}: ${messageOf(err)}`, {
      cause: err,
      evidence: { path },
    });
  }
}

/** Parses one configured DER certificate with pkijs; throws `code` when it is not one. */
function parseConfiguredCertificate(
  der: Uint8Array,
  code: 'SZTP_ERR_CONFIG_FILE' | 'SZTP_ERR_DEVICE_IDENTITY',
  what: string,
): pkijs.Certificate {
  try {
    return pkijs.Certificate.fromBER(der);
  } catch (err) {
    throw new SztpError(code, `${what} is not a valid X.509 certificate: ${messageOf(err)}`, { cause: err });
  }
}

/** Loads a PEM trust-anchor bundle; at least one certificate, each parseable. */
export async function loadTrustAnchors(path: string, what = 'trust anchors'): Promise<Uint8Array[]> {
  const ders = certificatesFromPemOrDer(await readConfigured(path, what));
  if (ders.length === 0)
    throw new SztpError('SZTP_ERR_CONFIG_FILE', `${what} ${path} holds no PEM certificate`, { evidence: { path } });
  ders.forEach((der, i) =>
    parseConfiguredCertificate(der, 'SZTP_ERR_CONFIG_FILE', `${what} ${path} certificate #${i + 1}`),
  );
  return ders;
}

/**
 * Loads the IDevID certificate (+ chain) and, when given, its private key: a PEM file (the `file`
 * key), or a key in hardware (`pkcs11:` URI, `tpm2:` handle), opened and proved against the
 * certificate (src/platform/device-key-hardware.ts). The certificate may come from a TPM NV index
 * (`tpm2-nv:`).
 */
export async function loadDeviceCredentials(
  certRef: string,
  keyRef?: string,
  hardware: HardwareKeySettings = DEFAULT_HARDWARE,
): Promise<DeviceCredentials> {
  const cert = certRefOf(certRef);
  const ders =
    cert.kind === 'tpm2-nv'
      ? [await readTpmCertificate(cert.index, hardware)]
      : certificatesFromPemOrDer(await readConfigured(cert.path, 'IDevID certificate'));
  const [certificate, ...chain] = ders;
  if (certificate === undefined)
    throw new SztpError('SZTP_ERR_DEVICE_IDENTITY', `IDevID certificate ${certRef} holds no certificate`, {
      evidence: { path: certRef },
    });
  for (const der of ders) parseConfiguredCertificate(der, 'SZTP_ERR_DEVICE_IDENTITY', `IDevID certificate ${certRef}`);
  if (keyRef === undefined) return { certificate, chain };
  const ref = keyRefOf(keyRef);
  if (ref.kind !== 'file') return { certificate, chain, key: await openHardwareKey(ref, certificate, hardware) };
  const keyPath = ref.path;
  const pem = await readConfigured(keyPath, 'IDevID private key');
  let privateKeyPkcs8: Uint8Array;
  try {
    privateKeyPkcs8 = new Uint8Array(createPrivateKey({ key: pem }).export({ type: 'pkcs8', format: 'der' }));
  } catch (err) {
    throw new SztpError(
      'SZTP_ERR_DEVICE_IDENTITY',
      `IDevID private key ${keyPath} cannot be read (PEM PKCS#8, SEC1 or PKCS#1 expected, unencrypted)`,
      { cause: err, evidence: { path: keyPath } },
    );
  }
  return { certificate, chain, privateKeyPkcs8 };
}

/** The subject serialNumber (2.5.4.5) of a certificate, if present. */
export function subjectSerialNumber(der: Uint8Array): string | undefined {
  const cert = parseConfiguredCertificate(der, 'SZTP_ERR_DEVICE_IDENTITY', 'IDevID certificate');
  const attr = cert.subject.typesAndValues.find((tv) => tv.type === OID_SERIAL_NUMBER);
  const value: unknown = attr?.value.valueBlock.value;
  return typeof value === 'string' && value !== '' ? value : undefined;
}
