/**
 * Shared domain types that flow config → fetchers → validation → onboarding → adapter:
 * bootstrapping artifacts as received, the trust context of one validation, and the typed,
 * validated conveyed information (RFC 8572 §6) the onboarding applier consumes.
 * @module
 */
import type { DeviceKey } from './contracts/device-key.ts';

/** The three RFC 8572 §3 artifacts as received (DER/BER bytes, possibly EnvelopedData). */
export interface BootstrappingArtifacts {
  readonly conveyedInformation: Uint8Array;
  readonly ownerCertificate?: Uint8Array;
  readonly ownershipVoucher?: Uint8Array;
}

/** The device's IDevID, used for voucher `idevid-issuer`, decryption and TLS client auth. */
export interface DeviceCredentials {
  /** DER of the IDevID end-entity certificate. */
  readonly certificate: Uint8Array;
  /** DER of intermediates up to (not necessarily including) the manufacturer root. */
  readonly chain: readonly Uint8Array[];
  /** PKCS#8 DER private key (RSA or EC) read from `[Device] idevid_key`: the material of the `file` key. */
  readonly privateKeyPkcs8?: Uint8Array;
  /**
   * The IDevID private key as a port (src/contracts/device-key.ts), e.g. a key in a TPM; when absent,
   * `privateKeyPkcs8` is used through the `file` key (src/platform/device-key-file.ts). Every use of
   * the key goes through `deviceKeyOf(credentials)`.
   */
  readonly key?: DeviceKey;
}

/** Local policy for voucher validation (RFC 8572 §5.4, §9.1). */
export interface TrustPolicy {
  /** Voucher assertions accepted; default ['verified']. */
  readonly acceptedAssertions: readonly string[];
  /** False when the device clock cannot be trusted: every validity-period check is skipped (§9.1). */
  readonly clockTrusted: boolean;
}

/** The exact MASA voucher signers allowed (RFC 8366 §5.3: the MASA signs vouchers, not devices). */
export interface VoucherSigners {
  readonly certificates: readonly Uint8Array[];
  readonly keyIds: readonly Uint8Array[];
}

/** Everything one validation needs; pure data, no I/O. */
export interface TrustContext {
  /** DER certificates of the manufacturer (MASA) voucher trust anchors. */
  readonly voucherTrustAnchors: readonly Uint8Array[];
  /**
   * `[Device] voucher_signers`: when present (and not empty), only these may sign vouchers: a
   * signer DER-equal to one of `certificates`, or whose subjectKeyIdentifier is one of `keyIds`.
   */
  readonly voucherSigners?: VoucherSigners;
  /** This device's serial number (exact string compare). */
  readonly serialNumber: string;
  /** IDevID: for idevid-issuer checks and for decrypting EnvelopedData. */
  readonly device?: DeviceCredentials;
  /** The nonce sent in this exchange; undefined when none was sent (USB, DHCP, well-known without nonce). */
  readonly nonce?: Uint8Array;
  readonly now: Date;
  readonly policy: TrustPolicy;
}

/** RFC 8572 `hash-algorithm` identities the agent supports (sha-256 is the RFC's; sha-512 is ours). */
export type HashAlgorithm = 'sha-256' | 'sha-512';

export interface ImageVerification {
  /** The identity as received, prefix removed (e.g. 'sha-256'); unsupported ones are kept so the applier can say so. */
  readonly hashAlgorithm: string;
  /** Decoded hash bytes (from colon hex). */
  readonly hashValue: Uint8Array;
}

export interface BootImage {
  readonly osName?: string;
  readonly osVersion?: string;
  /** Ordered mirrors of the same file. */
  readonly downloadUris: readonly string[];
  readonly imageVerification: readonly ImageVerification[];
}

export type ConfigurationHandling = 'merge' | 'replace';

/** Decoded `onboarding-information` (base64 fields decoded to bytes). */
export interface OnboardingInformation {
  readonly bootImage?: BootImage;
  readonly configurationHandling?: ConfigurationHandling;
  readonly preConfigurationScript?: Uint8Array;
  readonly configuration?: Uint8Array;
  readonly postConfigurationScript?: Uint8Array;
}

export interface BootstrapServerEntry {
  /** inet:host: DNS name or IP literal (no brackets). */
  readonly address: string;
  /** Default 443. */
  readonly port: number;
  /** DER degenerate SignedData (one chain ending in a self-signed root). */
  readonly trustAnchor?: Uint8Array;
}

/** Decoded `redirect-information`. */
export interface RedirectInformation {
  readonly bootstrapServers: readonly BootstrapServerEntry[];
}

/** The result of the three-step validation of one set of artifacts. */
export type ValidatedConveyedInformation = {
  /** True when CI was signed and the voucher → owner certificate → CI chain validated. */
  readonly signed: boolean;
  /** The conveyed information as RFC 8572 §6 JSON (XML converted), base64 fields left as base64. */
  readonly json: unknown;
  /** Lowercase hex SHA-256 of the conveyed-information artifact bytes as received (journal key). */
  readonly digest: string;
  /** DER of the validated owner EE certificate (signed only). */
  readonly ownerCertificate?: Uint8Array;
} & (
  | { readonly kind: 'onboarding-information'; readonly onboarding: OnboardingInformation }
  | { readonly kind: 'redirect-information'; readonly redirect: RedirectInformation }
);

/** The trust pipeline's entry point (implemented in src/validation/pipeline.ts). */
export type ValidateFn = (
  artifacts: BootstrappingArtifacts,
  ctx: TrustContext,
) => Promise<ValidatedConveyedInformation>;

/**
 * The running software of the device as the router adapter reports it (hw-model, os-name,
 * os-version sent to trusted servers; os-name/os-version decide the boot-image step). Not the
 * IDevID: that is `DeviceCredentials`, seen by one validation as `IdevidView` (validation/device.ts).
 */
export interface RunningIdentity {
  readonly serialNumber?: string;
  readonly hwModel: string;
  readonly osName: string;
  readonly osVersion: string;
}
