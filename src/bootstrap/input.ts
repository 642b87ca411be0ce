/**
 * The `get-bootstrapping-data` input by trust state (RFC 8572 §7.2, §9.6, App. B; C-145, AT-30,
 * AT-54): an untrusted (provisional) server learns nothing but `signed-data-preferred` and, when
 * nonce vouchers are enabled, a fresh nonce; a TLS-authenticated server also gets `hw-model`,
 * `os-name`, `os-version` and, when enabled, the RFC 9646 CSR members. Pure: randomness is passed in.
 * @module
 */
import type { RunningIdentity } from '../types.ts';

/** Nonce length: RFC 8572 allows 16..32 bytes; we always send 32 (T-07). */
export const NONCE_BYTES = 32;

export interface BootstrapInput {
  /** The JSON request body. */
  readonly body: string;
  /** The nonce sent, if any: validation must compare the voucher nonce against exactly this. */
  readonly nonce?: Uint8Array;
}

export function buildBootstrapInput(
  trustedServer: boolean,
  identity: RunningIdentity,
  nonce: Uint8Array | undefined,
  trustedExtras: Readonly<Record<string, unknown>> = {},
): BootstrapInput {
  const input: Record<string, unknown> = {};
  if (trustedServer) {
    input['hw-model'] = identity.hwModel;
    input['os-name'] = identity.osName;
    input['os-version'] = identity.osVersion;
    // RFC 9646 csr-support / p10-csr: trusted servers only (X-07, AT-54).
    Object.assign(input, trustedExtras);
  } else {
    input['signed-data-preferred'] = [null];
  }
  if (nonce !== undefined) input.nonce = Buffer.from(nonce).toString('base64');
  const body = JSON.stringify({ 'ietf-sztp-bootstrap-server:input': input });
  return nonce === undefined ? { body } : { body, nonce };
}
