/**
 * Who may sign ownership vouchers (RFC 8366 §5.3, RFC 8572 §5.4 step 1): the `[Device]
 * voucher_signers` setting (exact MASA certificates and/or subject key identifiers) and the
 * start-up risk check: when the device's own IDevID chains to a voucher trust anchor, that anchor
 * also issues device identities, so without `voucher_signers` only the signer-role heuristics
 * (no subject serialNumber, not TLS-only) separate a MASA from another device. Pure: the caller
 * reads the files.
 * @module
 */
import type { DeviceCredentials, VoucherSigners } from '../types.ts';
import { parseCertificate } from './x509/certificate.ts';
import { validatePath } from './x509/path.ts';

/** A hex subject key identifier as written in ztp.ini: `4f:1a:…` or `4f1a…`, at least 8 bytes. */
export function isKeyIdText(text: string): boolean {
  const hex = text.replace(/:/g, '');
  return (
    /^[0-9A-Fa-f]+$/.test(hex) &&
    hex.length % 2 === 0 &&
    hex.length >= 16 &&
    (!text.includes(':') || /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})+$/.test(text))
  );
}

/** Splits `voucher_signers` items into key identifiers and files (the files' certificates are read by the caller). */
export function voucherSignerItems(items: readonly string[]): {
  readonly keyIds: Uint8Array[];
  readonly files: string[];
} {
  const keyIds: Uint8Array[] = [];
  const files: string[] = [];
  for (const item of items) {
    if (isKeyIdText(item)) keyIds.push(new Uint8Array(Buffer.from(item.replace(/:/g, ''), 'hex')));
    else files.push(item);
  }
  return { keyIds, files };
}

export const noVoucherSigners = (s: VoucherSigners | undefined): boolean =>
  s === undefined || (s.certificates.length === 0 && s.keyIds.length === 0);

/**
 * True when the IDevID (with the chain stored next to it) validates to one of the voucher trust
 * anchors: then the manufacturer anchor issues devices too, and any device's key could sign a
 * voucher that only the signer-role checks stop. Dates are not checked (a set-up property).
 */
export async function idevidUnderVoucherAnchor(
  device: DeviceCredentials,
  anchors: readonly Uint8Array[],
): Promise<boolean> {
  if (anchors.length === 0) return false;
  try {
    const step = 'voucher' as const;
    const leaf = parseCertificate(device.certificate, step, 'IDevID certificate');
    const pool = device.chain.map((d, i) => parseCertificate(d, step, `IDevID chain certificate #${i}`));
    const roots = anchors.map((d, i) => parseCertificate(d, step, `voucher trust anchor #${i}`));
    const r = await validatePath(leaf, pool, roots, { now: new Date(), checkValidity: false, maxDepth: 16 });
    return r.ok;
  } catch {
    return false;
  }
}

/** The operator warning for the risk (config, run). */
export const VOUCHER_SIGNER_RISK =
  'the IDevID chains to a voucher trust anchor, so that anchor issues device identities too: a stolen key of ANY device under it could sign a voucher for this one. ' +
  'Set [Device] voucher_signers to the MASA signer certificate(s) or their subject key identifiers (or use a voucher trust anchor that issues only MASA certificates); ' +
  '[Device] strict_voucher_signer: True refuses to start in this set-up.';
