/**
 * The artifact builder (library behind `sztp-agent bundle`): from an owner key and certificate
 * chain, a voucher file and onboarding content it produces signed conveyed information
 * (eContentType id-ct-sztpConveyedInfoJSON), the certs-only owner-certificate CMS and a byte-copy
 * of the voucher, optionally encrypting the conveyed information to a device certificate, and
 * writes them in the EN9 layout. RFC 8572 §3, §4.1. A voucher signed by a device identity (not a
 * MASA) is refused, as every device would refuse it.
 * @module
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { SztpError } from '../errors.ts';
import { decodeContentInfo } from '../validation/cms/content-info.ts';
import { openSignedData, sidMatches } from '../validation/cms/signed-data.ts';
import { DEFAULT_LIMITS } from '../validation/limits.ts';
import { isPem } from '../lib/pem.ts';
import { OID } from '../validation/oids.ts';
import { deviceIdentityReason } from '../validation/voucher.ts';
import { encryptToDevice } from './encrypt.ts';
import type { BundleArtifacts } from './layout.ts';
import { onboardingDocument, type OnboardingInput } from './onboarding.ts';
import { certsOnly, signContent } from './sign.ts';

export interface BuildInput {
  readonly ownerKey: KeyObject;
  /** Owner EE certificate first, then intermediates (optionally the pinned certificate), DER. */
  readonly ownerChain: readonly Uint8Array[];
  readonly voucher: Uint8Array;
  /** Onboarding content, or a ready RFC 8572 §6 JSON document (e.g. redirect information). */
  readonly content: OnboardingInput | { readonly document: unknown };
  /** DER of a device certificate to encrypt the conveyed information to. */
  readonly encryptTo?: Uint8Array;
}

/**
 * Refuses a voucher whose signer (found in the voucher's own certificates) is a device identity:
 * every device refuses such a voucher (SZTP_ERR_VOUCHER_SIGNER_DEVICE, docs/trust.md). A voucher
 * that cannot be read here is left to the device's checks.
 */
export function checkVoucherSigner(voucher: Uint8Array): void {
  let reason: string | undefined;
  try {
    const decoded = decodeContentInfo(voucher, 'voucher', 'ownership voucher', DEFAULT_LIMITS);
    if (decoded.type !== 'signed') return;
    const sd = openSignedData(decoded.signedData, 'voucher', 'ownership voucher');
    const si = sd.signerInfos[0];
    const signer = si === undefined ? undefined : sd.certificates.find((c) => sidMatches(si.sid, c));
    reason = signer === undefined ? undefined : deviceIdentityReason(signer);
  } catch {
    return;
  }
  if (reason !== undefined)
    throw new SztpError(
      'SZTP_ERR_VOUCHER_SIGNER_DEVICE',
      `bundle: the voucher signer ${reason}; devices refuse it. Ask the manufacturer for a voucher signed by its MASA`,
    );
}

/** Builds the three artifacts in memory. */
export async function buildArtifacts(input: BuildInput): Promise<BundleArtifacts> {
  checkVoucherSigner(input.voucher);
  const [ee, ...chain] = input.ownerChain;
  if (ee === undefined) throw new SztpError('SZTP_ERR_USAGE', 'bundle: the owner certificate chain is empty');
  let ownerCert: X509Certificate;
  try {
    ownerCert = new X509Certificate(ee);
  } catch (err) {
    throw new SztpError('SZTP_ERR_USAGE', 'bundle: the owner certificate is not a valid X.509 certificate', {
      cause: err,
    });
  }
  if (!ownerCert.checkPrivateKey(input.ownerKey))
    throw new SztpError(
      'SZTP_ERR_USAGE',
      'bundle: the owner key does not match the first certificate of the owner chain',
    );
  const doc = 'document' in input.content ? input.content.document : onboardingDocument(input.content);
  const json = new TextEncoder().encode(JSON.stringify(doc, null, 2) + '\n');
  let ci = signContent(json, OID.conveyedJson, { certificate: ee, chain, privateKey: input.ownerKey });
  if (input.encryptTo !== undefined) ci = await encryptToDevice(ci, input.encryptTo);
  return { conveyedInformation: ci, ownerCertificate: certsOnly([ee, ...chain]), ownershipVoucher: input.voucher };
}

/** A PEM or PKCS#8 DER private key (unencrypted); SZTP_ERR_USAGE when it is neither. */
export function privateKeyFromFile(bytes: Uint8Array): KeyObject {
  try {
    const b = Buffer.from(bytes);
    return isPem(b) ? createPrivateKey(b) : createPrivateKey({ key: b, format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new SztpError('SZTP_ERR_USAGE', 'bundle: the owner key is not an unencrypted PEM or PKCS#8 private key', {
      cause: err,
    });
  }
}
