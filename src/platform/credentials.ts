/**
 * Loads the device's credentials from the files named in `[Device]`: the IDevID certificate
 * (PEM, followed by its intermediates), its private key (PEM PKCS#8, SEC1 or PKCS#1, converted to
 * PKCS#8 DER), and PEM bundles of trust anchors (DER list). The serial number comes from the
 * IDevID subject serialNumber attribute (2.5.4.5), as RFC 8572 §5.4 / RFC 8366 expect. Keys and
 * certificates held in a TPM or on a PKCS#11 token are opened through ./device-key-hardware.ts.
 * Certificates are checked with node:crypto and read with the strict DER reader, not pkijs: the
 * trust pipeline parses them again when it validates, and start-up stays light (issue 15).
 * @module
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SztpError } from '../errors.ts';
import { TAG, contentOf, expect, oidOf, readRoot, type Tlv } from '../lib/der.ts';
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

/** Checks that one configured DER certificate is one (OpenSSL reads it); throws `code` when it is not. */
function checkConfiguredCertificate(
  der: Uint8Array,
  code: 'SZTP_ERR_CONFIG_FILE' | 'SZTP_ERR_DEVICE_IDENTITY',
  what: string,
): void {
  try {
    new X509Certificate(der);
  } catch (err) {
    throw new SztpError(code, `${what} is not a valid X.509 certificate: ${messageOf(err)}`, { cause: err });
  }
}

/** Loads a PEM trust-anchor bundle; at least one certificate, each parseable. */
export async function loadTrustAnchors(path: string, what = 'trust anchors'): Promise<Uint8Array[]> {
  const ders = certificatesFromPemOrDer(await readConfigured(path, what));
  if (ders.length === 0)
    throw new SztpError('SZTP_ERR_CONFIG_FILE', `${what} ${path} holds no PEM certificate`, { evidence: { path } });
  ders.forEach((der, i) => {
    checkConfiguredCertificate(der, 'SZTP_ERR_CONFIG_FILE', `${what} ${path} certificate #${i + 1}`);
  });
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
  for (const der of ders) checkConfiguredCertificate(der, 'SZTP_ERR_DEVICE_IDENTITY', `IDevID certificate ${certRef}`);
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

/** The text of a directory string (RFC 5280 §4.1.2.4) as pkijs gives it; undefined for other types. */
function directoryString(t: Tlv): string | undefined {
  const c = Buffer.from(contentOf(t));
  switch (t.tag) {
    case TAG.utf8:
      return c.toString('utf8');
    case TAG.printable:
    case TAG.ia5:
    case TAG.visible:
    case TAG.numeric:
    case 0x14: // TeletexString
      return c.toString('latin1');
    case 0x1e: // BMPString, UTF-16BE
      return c.byteLength % 2 === 0 ? Buffer.from(c).swap16().toString('utf16le') : undefined;
    default:
      return undefined;
  }
}

/**
 * The subject serialNumber (2.5.4.5) of a DER certificate, if present (the first one). Throws
 * SZTP_ERR_DEVICE_IDENTITY when the certificate is not DER the reader understands.
 */
export function subjectSerialNumber(der: Uint8Array): string | undefined {
  try {
    const [tbs] = expect(readRoot(der, true), TAG.sequence, 3, 3);
    const fields = expect(tbs, TAG.sequence, 6, 10);
    // version [0] EXPLICIT is present in v2/v3 certificates; the subject follows serial, signature, issuer, validity.
    const subject = fields[fields[0]?.tag === 0xa0 ? 5 : 4];
    for (const rdn of expect(subject, TAG.sequence))
      for (const atv of expect(rdn, TAG.set, 1)) {
        const [type, value] = expect(atv, TAG.sequence, 2, 2);
        if (oidOf(type) !== OID_SERIAL_NUMBER || value === undefined) continue;
        const text = directoryString(value);
        return text === undefined || text === '' ? undefined : text;
      }
    return undefined;
  } catch (err) {
    throw new SztpError('SZTP_ERR_DEVICE_IDENTITY', `IDevID certificate subject cannot be read: ${messageOf(err)}`, {
      cause: err,
    });
  }
}
