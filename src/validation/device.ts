/**
 * The device's IDevID as one validation sees it (RFC 8572 §3.4 decryption, RFC 8366
 * idevid-issuer): the configured credentials plus the IDevID certificate, parsed with pkijs at
 * most once per validation however many artifacts are encrypted. Created per validation by the
 * pipeline; no state outlives it.
 * @module
 */
import type { ValidationStep } from '../errors.ts';
import type { DeviceCredentials } from '../types.ts';
import { parseCertificate, type ParsedCert } from './x509/certificate.ts';

/** The IDevID view of one validation (not the running software: that is RunningIdentity in src/types.ts). */
export interface IdevidView {
  readonly credentials: DeviceCredentials | undefined;
  /** The parsed IDevID certificate (undefined without credentials); a bad one fails at `step`. */
  certificate(step: ValidationStep): ParsedCert | undefined;
}

/** `parse` reads the IDevID certificate (pkijs by default; the fast path passes its own reader). */
export function idevidView(
  credentials: DeviceCredentials | undefined,
  parse: (der: Uint8Array, step: ValidationStep) => ParsedCert = (der, step) =>
    parseCertificate(der, step, 'IDevID certificate'),
): IdevidView {
  let parsed: ParsedCert | undefined;
  return {
    credentials,
    certificate(step: ValidationStep): ParsedCert | undefined {
      if (credentials === undefined) return undefined;
      parsed ??= parse(credentials.certificate, step);
      return parsed;
    },
  };
}
