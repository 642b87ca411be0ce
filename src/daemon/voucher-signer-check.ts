/**
 * The start-up check of who may sign vouchers (docs/trust.md "Voucher signers"): reads the
 * IDevID chain, the voucher trust anchors and `[Device] voucher_signers`, and says whether the
 * IDevID chains to a voucher trust anchor while no exact voucher signer is configured (the risk
 * of RFC 8572 §5.4 step 1 when the manufacturer root issues device identities too). `config` and
 * `run` warn; with `strict_voucher_signer` they refuse.
 * @module
 */
import type { AgentConfig } from '../config/types.ts';
import { SztpError } from '../errors.ts';
import { resolve } from 'node:path';
import { loadDeviceCredentials, loadTrustAnchors } from '../platform/credentials.ts';
import type { DeviceCredentials, VoucherSigners } from '../types.ts';
import {
  VOUCHER_SIGNER_RISK,
  idevidUnderVoucherAnchor,
  noVoucherSigners,
  voucherSignerItems,
} from '../validation/voucher-signers.ts';

export interface VoucherSignerAssessment {
  /** The operator warning, or undefined when the set-up is safe (or cannot be judged). */
  readonly warning: string | undefined;
  /** The error to throw instead of warning (strict_voucher_signer). */
  readonly refusal: SztpError | undefined;
}

/** `[Device] voucher_signers`: certificates of the PEM files named (relative to baseDir), and the hex key identifiers. */
export async function loadVoucherSigners(
  items: readonly string[],
  baseDir: string,
): Promise<VoucherSigners | undefined> {
  if (items.length === 0) return undefined;
  const { keyIds, files } = voucherSignerItems(items);
  const certificates: Uint8Array[] = [];
  for (const f of files) certificates.push(...(await loadTrustAnchors(resolve(baseDir, f), 'voucher_signers file')));
  return { certificates, keyIds };
}

/** Judges loaded material (run: buildRuntime has it already). */
export function assessLoaded(
  config: AgentConfig,
  credentials: DeviceCredentials | undefined,
  anchors: readonly Uint8Array[],
  signers: VoucherSigners | undefined,
): VoucherSignerAssessment {
  if (credentials === undefined || !noVoucherSigners(signers) || !idevidUnderVoucherAnchor(credentials, anchors))
    return { warning: undefined, refusal: undefined };
  return {
    warning: VOUCHER_SIGNER_RISK,
    refusal: config.device.strictVoucherSigner
      ? new SztpError('SZTP_ERR_VOUCHER_SIGNER_UNPINNED', `refusing to start: ${VOUCHER_SIGNER_RISK}`)
      : undefined,
  };
}

/** Reads the files named by `config` and judges them; unreadable files are not judged here (run reports them). */
export async function assessVoucherSigners(config: AgentConfig): Promise<VoucherSignerAssessment> {
  const d = config.device;
  if (d.idevidCert === undefined || d.voucherTrustAnchors === undefined)
    return { warning: undefined, refusal: undefined };
  let loaded: [DeviceCredentials, Uint8Array[], VoucherSigners | undefined];
  try {
    loaded = [
      await loadDeviceCredentials(d.idevidCert, undefined, d),
      await loadTrustAnchors(d.voucherTrustAnchors),
      await loadVoucherSigners(d.voucherSigners, config.baseDir),
    ];
  } catch {
    return { warning: undefined, refusal: undefined };
  }
  return assessLoaded(config, ...loaded);
}
