/**
 * Who may sign ownership vouchers (RFC 8366 §5.3, RFC 8572 §5.4 step 1): the `[Device]
 * voucher_signers` setting (exact MASA certificates and/or subject key identifiers) and the
 * start-up risk check: when the device's own IDevID chains to a voucher trust anchor, that anchor
 * also issues device identities, so without `voucher_signers` only the signer-role heuristics
 * (no subject serialNumber, not TLS-only) separate a MASA from another device. Pure: the caller
 * reads the files.
 * @module
 */
import { X509Certificate } from 'node:crypto';
import type { DeviceCredentials, VoucherSigners } from '../types.ts';

/** Longest IDevID chain followed (as the pkijs path's maxDepth). */
const MAX_DEPTH = 16;

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
 * True when the IDevID (with the chain stored next to it) chains to one of the voucher trust
 * anchors: then the manufacturer anchor issues devices too, and any device's key could sign a
 * voucher that only the signer-role checks stop. Each link is OpenSSL's issuer check (name,
 * key identifiers, keyCertSign) and a verified signature; dates are not checked (a set-up
 * property). node:crypto rather than pkijs keeps `config` and the daemon's start light (issue 15);
 * it errs towards finding a chain (a warning too many, never one missed).
 */
export function idevidUnderVoucherAnchor(device: DeviceCredentials, anchors: readonly Uint8Array[]): boolean {
  if (anchors.length === 0) return false;
  try {
    const roots = anchors.map((d) => new X509Certificate(d));
    const pool = device.chain.map((d) => new X509Certificate(d));
    const issuedBy = (c: X509Certificate, by: X509Certificate): boolean => c.checkIssued(by) && c.verify(by.publicKey);
    let cert = new X509Certificate(device.certificate);
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      if (roots.some((r) => issuedBy(cert, r))) return true;
      const current = cert;
      const next = pool.find((c) => c !== current && issuedBy(current, c));
      if (next === undefined) return false;
      cert = next;
    }
    return false;
  } catch {
    return false;
  }
}

/** The operator warning for the risk (config, run). */
export const VOUCHER_SIGNER_RISK =
  'the IDevID chains to a voucher trust anchor, so that anchor issues device identities too: a stolen key of ANY device under it could sign a voucher for this one. ' +
  'Set [Device] voucher_signers to the MASA signer certificate(s) or their subject key identifiers (or use a voucher trust anchor that issues only MASA certificates); ' +
  '[Device] strict_voucher_signer: True refuses to start in this set-up.';
