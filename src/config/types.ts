/**
 * AgentConfig: the typed, validated form of ztp.ini that every room receives. Produced only by
 * src/config/parse.ts; defaults and documentation live in src/config/schema.ts and
 * ztp.ini.example. Paths are absolute (relative ones resolved against the ztp.ini directory).
 * @module
 */
import type { LogLevel } from '../log/logger.ts';

import type { FetcherName } from './fetchers.ts';

export { FETCHER_NAMES, type FetcherName } from './fetchers.ts';

export interface AgentConfig {
  /** Absolute path of the ztp.ini this came from (or '<defaults>'). */
  readonly file: string;
  /** Directory relative paths were resolved against. */
  readonly baseDir: string;
  readonly startup: {
    readonly start: boolean;
    readonly retryForever: boolean;
  };
  /** Enabled fetchers, in the order they are tried (priority 0 first, ties in file order). */
  readonly fetchers: readonly FetcherName[];
  readonly device: {
    readonly serialNumber?: string;
    readonly idevidCert?: string;
    /** A PEM path, a `pkcs11:` URI or a `tpm2:` handle (src/platform/device-key-ref.ts). */
    readonly idevidKey?: string;
    readonly pkcs11Module?: string;
    readonly pkcs11PinFile?: string;
    readonly pkcs11Engine?: string;
    /** `tpm2_tcti` (default `device:/dev/tpmrm0`). */
    readonly tpm2Tcti: string;
    /** `key_timeout_seconds` (default 10): deadline of each hardware key operation. */
    readonly keyTimeoutSeconds: number;
    readonly voucherTrustAnchors?: string;
    /** `voucher_signers` as written: PEM files (relative to baseDir) and/or hex subject key identifiers (empty: not set). */
    readonly voucherSigners: readonly string[];
    /** `strict_voucher_signer` (default false): refuse to start on the IDevID-under-voucher-anchor risk. */
    readonly strictVoucherSigner: boolean;
    readonly bootstrapTrustAnchors?: string;
    /** `clock_trusted` (default true). False: skip every validity-period check (RFC 8572 §9.1). */
    readonly clockTrusted: boolean;
    /** `accepted_assertions` (default `verified`). */
    readonly acceptedAssertions: readonly string[];
  };
  readonly usb: {
    readonly mountPoints: readonly string[];
    readonly autoMount: boolean;
    readonly settleSeconds: number;
  };
  readonly bootstrap: {
    /** `https://host[:port]` URIs of well-known bootstrap servers. */
    readonly servers: readonly string[];
    /** Send a fresh nonce in get-bootstrapping-data (nonce vouchers). Default true. */
    readonly nonce: boolean;
    readonly connectTimeoutSeconds: number;
    readonly responseTimeoutSeconds: number;
    readonly maxResponseBytes: number;
    readonly maxRedirectDepth: number;
    /** Most exchanges in one redirect walk (default 32). */
    readonly maxExchangesPerWalk: number;
    /** Most entries used from untrusted redirect information (default 8). */
    readonly maxUntrustedRedirectEntries: number;
    /** RFC 9646 CSR support towards trusted servers. Default false. */
    readonly csrSupport: boolean;
    /** HTTP Basic password for servers that demand one (SZTPD activation code); a secret. */
    readonly activationCode?: string;
    /** File holding the activation code. */
    readonly activationCodeFile?: string;
    /** Send the activation code over provisional connections too (warned; RFC 8572 §5.3 says never). */
    readonly activationCodeProvisional: boolean;
  };
  readonly interfaces: {
    readonly mgmt?: string;
    readonly dport: readonly string[];
  };
  readonly dhcp: {
    /** `client` (our own DHCP client), `lease-file` (dhclient leases), `hook` (hook-script env file), `networkd` (sd-dhcp lease files). */
    readonly source: 'client' | 'lease-file' | 'hook' | 'networkd';
    readonly timeoutSeconds: number;
    /** dhclient lease files (source = lease-file). */
    readonly leaseFiles: readonly string[];
    /** dhclient.conf files whose declarations name option 143/136 (source = lease-file). */
    readonly dhclientConf: readonly string[];
    /** systemd-networkd lease directories or files (source = networkd). */
    readonly networkdLeases: readonly string[];
    /** Site-private option (224..254) carrying a copy of option 143 (source = networkd). */
    readonly networkdOption?: number;
    /** Directory where the hook script writes `<interface>.env` files (source = hook). */
    readonly hookDir: string;
    /** Accept plain-text lists and URIs with a path (RFC 8572 §8 violations). Default false. */
    readonly acceptNonconformingUris: boolean;
  };
  /** The DNS source (RFC 8572 §4.2). */
  readonly dns: {
    /** Ask by multicast DNS first (RFC 8572 §4.2.1, C-029). */
    readonly mdns: boolean;
    /** Domains for unicast DNS; empty: from resolvConf. */
    readonly domains: readonly string[];
    /** Unicast DNS servers (`host[:port]`); empty: from resolvConf. */
    readonly servers: readonly string[];
    readonly timeoutSeconds: number;
    /** resolv.conf read when domains or servers are empty. */
    readonly resolvConf: string;
  };
  readonly router: {
    /** `simulated`, another built-in name (`command`, `frr`, `iosxr`, `sonic`) or a path to a module. */
    readonly adapter: string;
    /** The `[Router]` section plus the adapter's own section, keys as written, for the adapter. */
    readonly settings: Readonly<Record<string, string>>;
  };
  readonly onboarding: {
    readonly scriptTimeoutSeconds: number;
    /** Largest boot image accepted, in bytes. */
    readonly maxImageBytes: number;
    /** Boot image without criteria and no running-image digest: install it once, or skip it (logged). */
    readonly imageWithoutCriteria: 'install' | 'skip';
  };
  readonly agent: {
    readonly stateDir: string;
    readonly logLevel: LogLevel;
    readonly backoffInitialSeconds: number;
    readonly backoffMaxSeconds: number;
    /** Time one fetcher may take in one pass. */
    readonly fetcherBudgetSeconds: number;
  };
}
