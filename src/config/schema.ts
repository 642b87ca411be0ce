/**
 * The ztp.ini schema: one table, `section` + `key` → AgentConfig path, value type, default and
 * description. It is the single source for the parser (src/config/parse.ts), the effective
 * configuration and `ztp.ini.example` (src/config/render.ts) and the README's reference table
 * (`npm run gen`). Adding a key: one row here, its field in AgentConfig, and its use.
 * `[Fetcher Priority]` is described separately because its keys are fetcher names (seed
 * behaviour; the RFC 8572 §4 source order is a local convention).
 * @module
 */
import { LOG_LEVELS } from '../log/logger.ts';
import type { AgentConfig } from './types.ts';

/** How a raw string value is converted. */
export type ValueType =
  | { readonly kind: 'bool' }
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'number'; readonly min: number; readonly max: number }
  | { readonly kind: 'string' }
  | { readonly kind: 'path' }
  /** A file path, or a reference into hardware kept as written (`pkcs11:`, `tpm2:`, `tpm2-nv:`; src/platform/device-key-ref.ts). */
  | { readonly kind: 'key-ref' }
  | { readonly kind: 'list' }
  | { readonly kind: 'path-list' }
  | { readonly kind: 'enum'; readonly values: readonly string[] };

/** Every `group.field` of AgentConfig that a ztp.ini key can set (`router.settings`: the key itself). */
export type ConfigPath = {
  [G in keyof AgentConfig]: AgentConfig[G] extends string | readonly unknown[]
    ? never
    : `${G & string}.${keyof AgentConfig[G] & string}`;
}[keyof AgentConfig];

export interface SchemaEntry {
  readonly section: string;
  readonly key: string;
  /** Where the value lands in AgentConfig; `router.settings` keeps it under its own key for the adapter. */
  readonly path: ConfigPath;
  /** A secret: the effective configuration prints HIDDEN instead of the value. */
  readonly secret?: true;
  readonly type: ValueType;
  /** Default as it would be written in ztp.ini; `undefined` = unset (optional). */
  readonly default: string | undefined;
  readonly description: string;
}

const bool = { kind: 'bool' } as const;
const str = { kind: 'string' } as const;
const path = { kind: 'path' } as const;
const keyRef = { kind: 'key-ref' } as const;
const list = { kind: 'list' } as const;
const pathList = { kind: 'path-list' } as const;
const int = (min: number, max: number): ValueType => ({ kind: 'int', min, max });
const num = (min: number, max: number): ValueType => ({ kind: 'number', min, max });
const oneOf = (...values: string[]): ValueType => ({ kind: 'enum', values });

/** Sections the agent owns; keys not listed here are configuration errors (except in [Router]). */
export const CONFIG_SCHEMA: readonly SchemaEntry[] = [
  {
    section: 'Startup',
    key: 'start',
    path: 'startup.start',
    type: bool,
    default: 'True',
    description: 'Run secure ZTP at all; False: `run` logs that ZTP is not started and exits 0.',
  },
  {
    section: 'Startup',
    key: 'retry_forever',
    path: 'startup.retryForever',
    type: bool,
    default: 'True',
    description: 'Repeat passes with backoff until success; False: one pass, exit 1 if nothing succeeded.',
  },

  {
    section: 'Device',
    key: 'serial_number',
    path: 'device.serialNumber',
    type: str,
    default: undefined,
    description:
      'Device serial number; default: from the IDevID subject serialNumber (the SN: token of a Cisco SUDI `PID:… SN:…`), else the router adapter. When an IDevID exists it must name the same serial (derived or as written).',
  },
  {
    section: 'Device',
    key: 'idevid_cert',
    path: 'device.idevidCert',
    type: keyRef,
    default: undefined,
    description:
      'PEM IDevID certificate, followed by its intermediates; or `tpm2-nv:0x01C90000`: the DER certificate in that TPM NV index (docs/hardware-keys.md).',
  },
  {
    section: 'Device',
    key: 'idevid_key',
    path: 'device.idevidKey',
    type: keyRef,
    default: undefined,
    description:
      'PEM private key of the IDevID (PKCS#8, SEC1 or PKCS#1); or an RFC 7512 `pkcs11:` URI of a key on a token (with pkcs11_module), or `tpm2:0x81xxxxxx`, a TPM persistent handle (docs/hardware-keys.md).',
  },
  {
    section: 'Device',
    key: 'pkcs11_module',
    path: 'device.pkcs11Module',
    type: path,
    default: undefined,
    description: 'The PKCS#11 module (.so) of the token holding a `pkcs11:` idevid_key.',
  },
  {
    section: 'Device',
    key: 'pkcs11_pin_file',
    path: 'device.pkcs11PinFile',
    type: path,
    default: undefined,
    description:
      'File holding the token user PIN (read by the PKCS#11 engine; never in argv, environment or logs). Unset: the key needs no login.',
  },
  {
    section: 'Device',
    key: 'pkcs11_engine',
    path: 'device.pkcs11Engine',
    type: path,
    default: undefined,
    description:
      'OpenSSL PKCS#11 engine (libp11, a file named pkcs11.so); default: the distribution path (Debian: libengine-pkcs11-openssl).',
  },
  {
    section: 'Device',
    key: 'tpm2_tcti',
    path: 'device.tpm2Tcti',
    type: str,
    default: 'device:/dev/tpmrm0',
    description:
      'TSS TCTI of the TPM holding a `tpm2:` key or a `tpm2-nv:` certificate (e.g. tabrmd:bus_type=system, swtpm:host=127.0.0.1,port=2321).',
  },
  {
    section: 'Device',
    key: 'key_timeout_seconds',
    path: 'device.keyTimeoutSeconds',
    type: int(1, 120),
    default: '10',
    description: 'Deadline of each operation of a hardware IDevID key (token or TPM).',
  },
  {
    section: 'Device',
    key: 'voucher_trust_anchors',
    path: 'device.voucherTrustAnchors',
    type: path,
    default: undefined,
    description:
      'PEM bundle of the manufacturer MASA CA(s) that vouchers chain to; best a CA that issues only MASA certificates, not the IDevID CA (docs/trust.md).',
  },
  {
    section: 'Device',
    key: 'voucher_signers',
    path: 'device.voucherSigners',
    type: list,
    default: '',
    description:
      'The exact voucher signers (MASA): comma-separated PEM files of their certificates and/or hex subject key identifiers. When set, no other certificate may sign a voucher.',
  },
  {
    section: 'Device',
    key: 'strict_voucher_signer',
    path: 'device.strictVoucherSigner',
    type: bool,
    default: 'False',
    description:
      'True: refuse to start when the IDevID chains to a voucher trust anchor and voucher_signers is not set (else a loud warning).',
  },
  {
    section: 'Device',
    key: 'bootstrap_trust_anchors',
    path: 'device.bootstrapTrustAnchors',
    type: path,
    default: undefined,
    description: 'Optional PEM bundle of trust anchors for well-known bootstrap servers (TLS).',
  },
  {
    section: 'Device',
    key: 'clock_trusted',
    path: 'device.clockTrusted',
    type: bool,
    default: 'True',
    description: 'False: skip every validity-period check (RFC 8572 §9.1).',
  },
  {
    section: 'Device',
    key: 'accepted_assertions',
    path: 'device.acceptedAssertions',
    type: list,
    default: 'verified',
    description: 'Comma-separated voucher assertions accepted (verified, logged, proximity).',
  },

  {
    section: 'USB',
    key: 'mount_points',
    path: 'usb.mountPoints',
    type: pathList,
    default: '/media/usb0, /media/usb1',
    description: 'Comma-separated directories searched for an EN9 directory.',
  },
  {
    section: 'USB',
    key: 'auto_mount',
    path: 'usb.autoMount',
    type: bool,
    default: 'False',
    description: 'Mount removable block devices read-only before searching.',
  },
  {
    section: 'USB',
    key: 'settle_seconds',
    path: 'usb.settleSeconds',
    type: int(0, 600),
    default: '30',
    description:
      'auto_mount: until the system has been up this long, wait for a removable disk to appear and settle (docs/usb.md); 0: no wait.',
  },

  {
    section: 'Bootstrap',
    key: 'servers',
    path: 'bootstrap.servers',
    type: list,
    default: '',
    description:
      'Comma-separated well-known bootstrap servers, https://host[:port] (enables the Server fetcher by default).',
  },
  {
    section: 'Bootstrap',
    key: 'nonce',
    path: 'bootstrap.nonce',
    type: bool,
    default: 'True',
    description: 'Send a fresh nonce in get-bootstrapping-data (nonce vouchers).',
  },
  {
    section: 'Bootstrap',
    key: 'connect_timeout_seconds',
    path: 'bootstrap.connectTimeoutSeconds',
    type: int(1, 3600),
    default: '10',
    description: 'TCP+TLS connect deadline per server.',
  },
  {
    section: 'Bootstrap',
    key: 'response_timeout_seconds',
    path: 'bootstrap.responseTimeoutSeconds',
    type: int(1, 3600),
    default: '30',
    description:
      'Deadline for a complete RESTCONF reply, headers and whole body (with the connect deadline it bounds every exchange, report-progress too).',
  },
  {
    section: 'Bootstrap',
    key: 'max_response_bytes',
    path: 'bootstrap.maxResponseBytes',
    type: int(1024, 1073741824),
    default: '4194304',
    description: 'Largest RESTCONF reply accepted, in bytes.',
  },
  {
    section: 'Bootstrap',
    key: 'activation_code',
    path: 'bootstrap.activationCode',
    type: str,
    secret: true,
    default: undefined,
    description:
      'Activation code sent as HTTP Basic credentials (serial:code) to bootstrap servers that demand one (SZTPD); only on TLS-authenticated connections (RFC 8572 §9.6). Never printed.',
  },
  {
    section: 'Bootstrap',
    key: 'activation_code_file',
    path: 'bootstrap.activationCodeFile',
    type: path,
    default: undefined,
    description: 'File holding the activation code (its first line); activation_code wins when both are set.',
  },
  {
    section: 'Bootstrap',
    key: 'activation_code_provisional',
    path: 'bootstrap.activationCodeProvisional',
    type: bool,
    default: 'False',
    description:
      'Also send the activation code over provisional (unauthenticated) connections, each time with a warning. Against RFC 8572 §9.6: labs only.',
  },
  {
    section: 'Bootstrap',
    key: 'max_redirect_depth',
    path: 'bootstrap.maxRedirectDepth',
    type: int(0, 10),
    default: '4',
    description: 'Most redirect-information hops followed (RFC 8572 §5.3: no more than 10).',
  },
  {
    section: 'Bootstrap',
    key: 'max_exchanges_per_walk',
    path: 'bootstrap.maxExchangesPerWalk',
    type: int(1, 1024),
    default: '32',
    description:
      'Most get-bootstrapping-data exchanges in one walk of redirect information (all entries, addresses and hops together).',
  },
  {
    section: 'Bootstrap',
    key: 'max_untrusted_redirect_entries',
    path: 'bootstrap.maxUntrustedRedirectEntries',
    type: int(1, 256),
    default: '8',
    description:
      'Most bootstrap-server entries used from untrusted redirect information (DHCP, provisional servers); the rest are ignored.',
  },
  {
    section: 'Bootstrap',
    key: 'csr_support',
    path: 'bootstrap.csrSupport',
    type: bool,
    default: 'False',
    description: 'Offer RFC 9646 CSR support to trusted servers.',
  },

  {
    section: 'Interfaces',
    key: 'Mgmt',
    path: 'interfaces.mgmt',
    type: str,
    default: undefined,
    description: 'The management interface (fetchers Mgmt4, Mgmt6).',
  },
  {
    section: 'Interfaces',
    key: 'DPort',
    path: 'interfaces.dport',
    type: list,
    default: '',
    description: 'Comma-separated data-port interfaces (fetchers DPort4, DPort6).',
  },

  {
    section: 'DHCP',
    key: 'source',
    path: 'dhcp.source',
    type: oneOf('client', 'lease-file', 'hook', 'networkd'),
    default: 'client',
    description:
      'client: our own DHCP client; lease-file: dhclient leases; hook: env files written by a hook script; networkd: systemd-networkd (or NetworkManager internal) lease files.',
  },
  {
    section: 'DHCP',
    key: 'timeout_seconds',
    path: 'dhcp.timeoutSeconds',
    type: int(1, 3600),
    default: '10',
    description: 'Deadline for a DHCP reply.',
  },
  {
    section: 'DHCP',
    key: 'lease_files',
    path: 'dhcp.leaseFiles',
    type: pathList,
    default: '/var/lib/dhcp/dhclient.leases',
    description: 'dhclient lease files (source = lease-file).',
  },
  {
    section: 'DHCP',
    key: 'dhclient_conf',
    path: 'dhcp.dhclientConf',
    type: pathList,
    default: '/etc/dhcp/dhclient.conf',
    description:
      'dhclient.conf files whose `option NAME code 143|136 = …;` declarations name the option in lease files (source = lease-file; missing files are skipped).',
  },
  {
    section: 'DHCP',
    key: 'networkd_leases',
    path: 'dhcp.networkdLeases',
    type: pathList,
    default: '/run/systemd/netif/leases',
    description: 'systemd-networkd lease directories (file <ifindex>) or lease files (source = networkd).',
  },
  {
    section: 'DHCP',
    key: 'networkd_option',
    path: 'dhcp.networkdOption',
    type: int(224, 254),
    default: undefined,
    description:
      'Site-private option (224-254) the server also fills with the option-143 value; networkd 252 stores only those (source = networkd).',
  },
  {
    section: 'DHCP',
    key: 'accept_nonconforming_uris',
    path: 'dhcp.acceptNonconformingUris',
    type: bool,
    default: 'False',
    description:
      'True: also use option 143/136 lists in plain text and URIs with a path (host and port only), which RFC 8572 §8 forbids.',
  },
  {
    section: 'DHCP',
    key: 'hook_dir',
    path: 'dhcp.hookDir',
    type: path,
    default: '/run/sztp-agent/dhcp',
    description: 'Directory of <interface>.env files (source = hook).',
  },

  {
    section: 'DNS',
    key: 'mdns',
    path: 'dns.mdns',
    type: bool,
    default: 'False',
    description:
      'Ask by multicast DNS (RFC 6762 one-shot, on [Interfaces] Mgmt and DPort) before unicast DNS: TXT <serial>._sztp.local., then SRV _sztp._tcp.local. (RFC 8572 §4.2.1). True also enables the DNS fetcher by default.',
  },
  {
    section: 'DNS',
    key: 'domains',
    path: 'dns.domains',
    type: list,
    default: '',
    description:
      'Comma-separated domains for unicast DNS: TXT <serial>._sztp.<domain>. and SRV _sztp._tcp.<domain>.; empty: the search/domain lines of resolv_conf. Setting it enables the DNS fetcher by default.',
  },
  {
    section: 'DNS',
    key: 'servers',
    path: 'dns.servers',
    type: list,
    default: '',
    description:
      'Comma-separated unicast DNS servers, host[:port] or [v6]:port; empty: the nameserver lines of resolv_conf. Setting it enables the DNS fetcher by default.',
  },
  {
    section: 'DNS',
    key: 'timeout_seconds',
    path: 'dns.timeoutSeconds',
    type: int(1, 3600),
    default: '5',
    description:
      'Deadline of each DNS question (mDNS per interface, unicast per domain and server; TCP retry included).',
  },
  {
    section: 'DNS',
    key: 'resolv_conf',
    path: 'dns.resolvConf',
    type: path,
    default: '/etc/resolv.conf',
    description: 'resolver file read for servers and domains when those are empty.',
  },

  {
    section: 'Router',
    key: 'adapter',
    path: 'router.adapter',
    type: str,
    default: 'simulated',
    description: 'simulated, command, frr, iosxr, sonic, or a path to a module exporting createAdapter.',
  },
  {
    section: 'Router',
    key: 'root',
    path: 'router.settings',
    type: str,
    default: undefined,
    description: 'simulated: directory that emulates the router (running-config, images).',
  },
  {
    section: 'Router',
    key: 'os_name',
    path: 'router.settings',
    type: str,
    default: undefined,
    description: 'simulated: the running os-name.',
  },
  {
    section: 'Router',
    key: 'os_version',
    path: 'router.settings',
    type: str,
    default: undefined,
    description: 'simulated: the running os-version.',
  },
  {
    section: 'Router',
    key: 'hw_model',
    path: 'router.settings',
    type: str,
    default: undefined,
    description: 'simulated: the hardware model.',
  },

  {
    section: 'Onboarding',
    key: 'script_timeout_seconds',
    path: 'onboarding.scriptTimeoutSeconds',
    type: int(1, 86400),
    default: '300',
    description: 'Deadline for a pre- or post-configuration script.',
  },
  {
    section: 'Onboarding',
    key: 'image_without_criteria',
    path: 'onboarding.imageWithoutCriteria',
    type: oneOf('install', 'skip'),
    default: 'install',
    description:
      'Boot image without os-name/os-version when the adapter cannot report the running image hash: install (download, verify, install once) or skip; logged either way.',
  },
  {
    section: 'Onboarding',
    key: 'max_image_bytes',
    path: 'onboarding.maxImageBytes',
    type: int(1, 68719476736),
    default: '4294967296',
    description: 'Largest boot image accepted, in bytes.',
  },

  {
    section: 'Agent',
    key: 'state_dir',
    path: 'agent.stateDir',
    type: path,
    default: '/var/lib/sztp-agent',
    description: 'Directory of the state file, lock and adapter work files.',
  },
  {
    section: 'Agent',
    key: 'log_level',
    path: 'agent.logLevel',
    type: oneOf(...LOG_LEVELS),
    default: 'info',
    description: 'pino log level (logs go to stderr as JSON lines).',
  },
  {
    section: 'Agent',
    key: 'backoff_initial_seconds',
    path: 'agent.backoffInitialSeconds',
    type: num(0, 86400),
    default: '5',
    description: 'First sleep after a pass in which nothing succeeded.',
  },
  {
    section: 'Agent',
    key: 'backoff_max_seconds',
    path: 'agent.backoffMaxSeconds',
    type: num(0, 86400),
    default: '300',
    description: 'Cap of the exponential backoff (jitter never exceeds it).',
  },
  {
    section: 'Agent',
    key: 'fetcher_budget_seconds',
    path: 'agent.fetcherBudgetSeconds',
    type: num(1, 86400),
    default: '600',
    description:
      'Time one fetcher may take in a pass (DHCP, redirects, every server exchange); then the pass moves on to the next fetcher.',
  },
];

/** The section whose keys are fetcher names with priorities 0..9. */
export const FETCHER_PRIORITY_SECTION = 'Fetcher Priority';

/** Sections whose unknown keys are passed to the adapter instead of being errors. */
export const OPEN_SECTIONS: readonly string[] = ['Router'];

/** Names of the sections the agent owns (case-insensitive match). */
export const AGENT_SECTIONS: readonly string[] = [
  ...new Set(CONFIG_SCHEMA.map((e) => e.section)),
  FETCHER_PRIORITY_SECTION,
];

/** Looks up a schema entry, ignoring case of section and key. */
export function schemaEntry(section: string, key: string): SchemaEntry | undefined {
  const s = section.toLowerCase();
  const k = key.toLowerCase();
  return CONFIG_SCHEMA.find((e) => e.section.toLowerCase() === s && e.key.toLowerCase() === k);
}

/** The canonical spelling of an agent section, or undefined for sections the agent does not own. */
export function agentSection(name: string): string | undefined {
  const n = name.toLowerCase();
  return AGENT_SECTIONS.find((s) => s.toLowerCase() === n);
}

/** The value a schema entry set in `config` (for `router.settings` entries, the adapter setting of that key). */
export function configValue(config: AgentConfig, entry: SchemaEntry): unknown {
  const [group, field] = entry.path.split('.') as [keyof AgentConfig, string];
  const value = (config[group] as Readonly<Record<string, unknown>>)[field];
  return entry.path === 'router.settings' ? (value as Readonly<Record<string, string>>)[entry.key] : value;
}
