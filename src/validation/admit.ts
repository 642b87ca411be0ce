/**
 * What may be accepted from a source of a given trust (RFC 8572 §4, §5.2, §5.5, §9.6): one pure
 * decision used by every fetcher and by the redirect walker, so a new source is one more row.
 *
 * | source               | signed onboarding | unsigned onboarding | signed redirect | unsigned redirect          |
 * |----------------------|-------------------|---------------------|-----------------|----------------------------|
 * | removable-storage    | accepted          | refused (C-021)     | followed, anchors kept | refused             |
 * | dhcp                 | accepted          | refused             | followed, anchors kept | followed, anchors discarded |
 * | dns                  | accepted          | refused (C-027)     | followed, anchors kept | followed, anchors discarded (C-031) |
 * | configuration        | accepted          | refused             | followed, anchors kept | followed, anchors kept |
 * | provisional-server   | accepted          | refused (C-073)     | followed, anchors kept | followed, anchors discarded (C-103) |
 * | trusted-server       | accepted          | accepted            | followed, anchors kept | followed, anchors kept (C-102) |
 *
 * Signed means the voucher → owner certificate → conveyed information chain validated; anchors are
 * the `trust-anchor` of each redirect entry, kept (the server is pinned to it) or discarded (the
 * server is contacted provisionally).
 * @module
 */
import type { SztpErrorCode } from '../errors.ts';

/** Where conveyed information (or a redirect) came from, as far as trust goes. */
export type SourceTrust =
  /** A USB stick or other removable storage: anyone can plug one in (the seed's rule: signed data only). */
  | 'removable-storage'
  /** A DHCP redirect option (RFC 8572 §8): untrusted, unsigned, carries no trust anchors. */
  | 'dhcp'
  /**
   * DNS (RFC 8572 §4.2): a device-specific TXT record or the device-independent SRV records.
   * Untrusted even with DNSSEC (C-027): signed data is taken as from USB; unsigned redirect
   * information (every SRV set) is followed provisionally, its anchors discarded.
   */
  | 'dns'
  /** The device's own configuration (`[Bootstrap] servers`): as trusted as ztp.ini. */
  | 'configuration'
  /** A bootstrap server whose TLS certificate could not be authenticated. */
  | 'provisional-server'
  /** A TLS-authenticated bootstrap server. */
  | 'trusted-server';

export type Admission =
  | { readonly kind: 'apply' }
  | { readonly kind: 'follow'; readonly keepTrustAnchors: boolean }
  | { readonly kind: 'refuse'; readonly code: SztpErrorCode; readonly reason: string };

export interface Admissible {
  readonly kind: 'onboarding-information' | 'redirect-information';
  readonly signed: boolean;
}

/** Decides what to do with `info` from a source of trust `source`. */
export function admit(info: Admissible, source: SourceTrust): Admission {
  if (info.kind === 'onboarding-information') {
    // Unsigned data only from a TLS-authenticated bootstrap server.
    if (info.signed || source === 'trusted-server') return { kind: 'apply' };
    if (source === 'removable-storage')
      return {
        kind: 'refuse',
        code: 'SZTP_ERR_CONVEYED_UNSIGNED',
        reason: 'onboarding information on removable storage must be signed',
      };
    if (source === 'dns')
      return {
        kind: 'refuse',
        code: 'SZTP_ERR_CONVEYED_UNSIGNED',
        reason: 'onboarding information from DNS must be signed (DNS is untrusted even with DNSSEC, RFC 8572 §4.2)',
      };
    return {
      kind: 'refuse',
      code: 'SZTP_ERR_SERVER_UNSIGNED_FROM_UNTRUSTED',
      reason: `unsigned onboarding information from ${source === 'provisional-server' ? 'a provisional server' : source} is refused`,
    };
  }
  const trusted = info.signed || source === 'trusted-server' || source === 'configuration';
  if (!trusted && source === 'removable-storage') {
    return {
      kind: 'refuse',
      code: 'SZTP_ERR_CONVEYED_REDIRECT_NOT_ALLOWED',
      reason:
        'unsigned redirect information on removable storage is not accepted (sign it with an owner certificate and voucher)',
    };
  }
  return { kind: 'follow', keepTrustAnchors: trusted };
}
