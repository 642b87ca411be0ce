/**
 * The one error catalogue of sztp-agent: every failure the agent can report carries a stable
 * string code from {@link ERROR_CATALOGUE}. The CLI prints the code, pino logs it, `status` shows
 * it and the onboarding applier maps it to an RFC 8572 progress type. `docs/errors.md` documents
 * every code; `test/unit/errors.test.ts` fails when the two disagree.
 *
 * Adding a code: add one entry here (keep the families grouped, give its exit code), document it in
 * docs/errors.md.
 * Part of the public adapter SDK (see package.json `exports`).
 * @module
 */
import { messageOf } from './lib/error-info.ts';

/** Where in the agent a failure happened. Validation steps use the RFC 8572 §5.4 step names. */
export type Stage =
  | 'cli'
  | 'config'
  | 'state'
  | 'agent'
  | 'usb'
  | 'dhcp'
  | 'dns'
  | 'bootstrap-server'
  | 'cms'
  | 'voucher'
  | 'owner-certificate'
  | 'conveyed-information'
  | 'onboarding'
  | 'download'
  | 'adapter';

/** The validation step names used by `verify --json` and by ValidationError. */
export type ValidationStep = 'voucher' | 'owner-certificate' | 'conveyed-information';

interface CatalogueEntry {
  /** Default stage; an error may override it (e.g. a CMS error inside the voucher step). */
  readonly stage: Stage;
  /**
   * The exit code of a command that this error ends (README "CLI"): 2 when the command line, the
   * configuration or a file it names is wrong (fix the input, do not retry), 1 for everything else.
   */
  readonly exit: 1 | 2;
  /** Documented and kept stable, but not raised by this version (a test checks every other code is). */
  readonly reserved?: true;
  /** One line for operators; docs/errors.md carries the same text. */
  readonly summary: string;
}

/**
 * Every error code. Codes are stable strings: never rename one, add a new one instead.
 * Families: CONFIG, STATE, AGENT, CLI, FETCH/USB/DHCP/DNS/SERVER, CMS, VOUCHER, OWNER_CERT, CONVEYED,
 * ONBOARDING (BOOT_IMAGE, SCRIPT, CONFIG_COMMIT), DOWNLOAD, ADAPTER.
 */
export const ERROR_CATALOGUE = {
  // --- configuration (ztp.ini) ---
  SZTP_ERR_CONFIG_READ: { stage: 'config', exit: 2, summary: 'The ztp.ini file cannot be read.' },
  SZTP_ERR_CONFIG_SYNTAX: {
    stage: 'config',
    exit: 2,
    summary: 'A ztp.ini line is neither a section, a key/value pair, a comment nor blank.',
  },
  SZTP_ERR_CONFIG_UNKNOWN_KEY: {
    stage: 'config',
    exit: 2,
    summary: 'A key or fetcher name that the agent does not know.',
  },
  SZTP_ERR_CONFIG_VALUE: {
    stage: 'config',
    exit: 2,
    summary: 'A ztp.ini value has the wrong type or is out of range.',
  },
  SZTP_ERR_CONFIG_INVALID: {
    stage: 'config',
    exit: 2,
    summary: 'The configuration has one or more problems (each listed with file and line).',
  },
  SZTP_ERR_CONFIG_FILE: {
    stage: 'config',
    exit: 2,
    summary: 'A file named by the configuration (certificate, key, trust anchors) is missing or unreadable.',
  },

  // --- CLI ---
  SZTP_ERR_USAGE: { stage: 'cli', exit: 2, summary: 'The command line is wrong (unknown option, missing argument).' },

  // --- durable state ---
  SZTP_ERR_STATE_CORRUPT: {
    stage: 'state',
    exit: 1,
    summary:
      'The state file cannot be parsed: it was set aside and its backup used; with no readable backup the agent refuses to run until `sztp-agent reset`.',
  },
  SZTP_ERR_STATE_SCHEMA: {
    stage: 'state',
    exit: 1,
    summary: 'The state file has a schema version this agent does not support.',
  },
  SZTP_ERR_STATE_WRITE: { stage: 'state', exit: 1, summary: 'The state file could not be written atomically.' },
  SZTP_ERR_STATE_LOCKED: { stage: 'state', exit: 1, summary: 'Another agent process holds the state directory lock.' },

  // --- daemon loop ---
  SZTP_ERR_NO_SOURCE: {
    stage: 'agent',
    exit: 1,
    summary: 'No fetcher produced usable bootstrapping data in this pass.',
  },
  SZTP_ERR_ABORTED: { stage: 'agent', exit: 1, summary: 'The run was stopped by a signal between steps.' },
  SZTP_ERR_FETCHER_UNAVAILABLE: {
    stage: 'agent',
    exit: 1,
    summary: 'The fetcher is not available on this device or build.',
  },
  SZTP_ERR_FETCHER_TIMEOUT: {
    stage: 'agent',
    exit: 1,
    summary: 'The fetcher used up its time budget of the pass (fetcher_budget_seconds); the pass moved on.',
  },
  SZTP_ERR_SECURE_MODE_OFF: {
    stage: 'agent',
    exit: 1,
    summary: 'Secure ZTP was disabled while onboarding ran; the attempt was stopped and rolled back.',
  },
  SZTP_ERR_DEVICE_IDENTITY: {
    stage: 'agent',
    exit: 2,
    summary: 'The device serial number or IDevID could not be determined.',
  },
  SZTP_ERR_DEVICE_KEY_MODULE: {
    stage: 'config',
    exit: 2,
    summary:
      'The PKCS#11 module or engine, tpm2-tools or the TPM (TCTI) named for the IDevID key cannot be loaded or reached.',
  },
  SZTP_ERR_DEVICE_KEY_PIN: {
    stage: 'config',
    exit: 2,
    summary:
      'The PIN file of the IDevID key cannot be read, or the token refused the PIN (the TPM refused the authorization).',
  },
  SZTP_ERR_DEVICE_KEY_NOT_FOUND: {
    stage: 'config',
    exit: 2,
    summary: 'The token, key object, TPM persistent handle or NV index named for the IDevID does not exist.',
  },
  SZTP_ERR_DEVICE_KEY_MISMATCH: {
    stage: 'config',
    exit: 2,
    summary: 'The hardware IDevID key does not belong to the IDevID certificate.',
  },
  SZTP_ERR_DEVICE_KEY_TIMEOUT: {
    stage: 'agent',
    exit: 1,
    summary: 'The token or TPM holding the IDevID key did not answer within key_timeout_seconds.',
  },
  SZTP_ERR_DEVICE_KEY_UNSUPPORTED: {
    stage: 'agent',
    exit: 1,
    summary:
      'The IDevID key backend cannot do this operation (a digest the TPM lacks, a peer key not on its curve, ECDH on tpm2-pkcs11).',
  },
  SZTP_ERR_DEVICE_KEY_OPERATION: {
    stage: 'agent',
    exit: 1,
    summary: 'The token or TPM refused or failed an operation with the IDevID key.',
  },
  SZTP_ERR_INTERNAL: {
    stage: 'agent',
    exit: 1,
    summary: 'An unexpected internal failure (a bug): something threw without an error code.',
  },

  // --- CMS decoding (any artifact) ---
  SZTP_ERR_CMS_TOO_LARGE: { stage: 'cms', exit: 1, summary: 'An artifact exceeds the size limit.' },
  SZTP_ERR_CMS_DECODE: { stage: 'cms', exit: 1, summary: 'An artifact is not a well-formed DER/BER CMS ContentInfo.' },
  SZTP_ERR_CMS_CONTENT_TYPE: {
    stage: 'cms',
    exit: 1,
    summary: 'An artifact has a CMS content type not allowed at this place.',
  },
  SZTP_ERR_CMS_UNSUPPORTED_ALGORITHM: {
    stage: 'cms',
    exit: 1,
    summary:
      'A signature, digest, key-transport or content-encryption algorithm is not supported (or is forbidden, e.g. MD5).',
  },
  SZTP_ERR_CMS_SIGNATURE: { stage: 'cms', exit: 1, reserved: true, summary: 'A CMS signature does not verify.' },
  SZTP_ERR_CMS_SIGNED_ATTRS: {
    stage: 'cms',
    exit: 1,
    summary: 'The content-type or message-digest signed attribute is missing or does not match.',
  },
  SZTP_ERR_CMS_SIGNER: {
    stage: 'cms',
    exit: 1,
    summary: 'The CMS has no signer, several signers, or a signer whose certificate is not available.',
  },
  SZTP_ERR_CMS_DECRYPT: {
    stage: 'cms',
    exit: 1,
    summary: 'EnvelopedData cannot be decrypted with the device key (not addressed to this device, or corrupt).',
  },
  SZTP_ERR_CMS_NO_DEVICE_KEY: {
    stage: 'cms',
    exit: 1,
    summary: 'An artifact is encrypted but no IDevID certificate and key are configured.',
  },
  SZTP_ERR_LIMIT_EXCEEDED: {
    stage: 'cms',
    exit: 1,
    summary: 'Hostile-input limit exceeded (nesting depth, certificate count, JSON size).',
  },

  // --- ownership voucher (RFC 8366, RFC 8572 §5.4) ---
  SZTP_ERR_VOUCHER_MISSING: {
    stage: 'voucher',
    exit: 1,
    summary: 'Signed conveyed information came without an ownership voucher.',
  },
  SZTP_ERR_VOUCHER_SIGNATURE: { stage: 'voucher', exit: 1, summary: 'The voucher signature does not verify.' },
  SZTP_ERR_VOUCHER_UNTRUSTED: {
    stage: 'voucher',
    exit: 1,
    summary: 'The voucher signer does not chain to a configured manufacturer trust anchor.',
  },
  SZTP_ERR_VOUCHER_SIGNER_DEVICE: {
    stage: 'voucher',
    exit: 1,
    summary:
      'The voucher signer is a device identity (subject serialNumber or TLS-only extendedKeyUsage), not a voucher signer (MASA).',
  },
  SZTP_ERR_VOUCHER_SIGNER_NOT_LISTED: {
    stage: 'voucher',
    exit: 1,
    summary: 'The voucher signer is not one of the configured [Device] voucher_signers.',
  },
  SZTP_ERR_VOUCHER_SIGNER_UNPINNED: {
    stage: 'config',
    exit: 2,
    summary: 'strict_voucher_signer is on, the IDevID chains to a voucher trust anchor and voucher_signers is not set.',
  },
  SZTP_ERR_VOUCHER_JSON: {
    stage: 'voucher',
    exit: 1,
    summary: 'The voucher content is not a valid ietf-voucher JSON document.',
  },
  SZTP_ERR_VOUCHER_ASSERTION: {
    stage: 'voucher',
    exit: 1,
    summary: 'The voucher assertion is not accepted by local policy.',
  },
  SZTP_ERR_VOUCHER_SERIAL_MISMATCH: {
    stage: 'voucher',
    exit: 1,
    summary: 'The voucher serial-number is not this device.',
  },
  SZTP_ERR_VOUCHER_IDEVID_ISSUER: {
    stage: 'voucher',
    exit: 1,
    summary: "The voucher idevid-issuer does not match the IDevID's Authority Key Identifier.",
  },
  SZTP_ERR_VOUCHER_NONCE: {
    stage: 'voucher',
    exit: 1,
    summary: 'The voucher nonce does not match the nonce sent, or a nonce is present where none was sent.',
  },
  SZTP_ERR_VOUCHER_NOT_YET_VALID: { stage: 'voucher', exit: 1, summary: 'The voucher created-on is in the future.' },
  SZTP_ERR_VOUCHER_EXPIRED: { stage: 'voucher', exit: 1, summary: 'The voucher expires-on has passed.' },
  SZTP_ERR_VOUCHER_PINNED_CERT: { stage: 'voucher', exit: 1, summary: 'The voucher has no usable pinned-domain-cert.' },

  // --- owner certificate ---
  SZTP_ERR_OWNER_CERT_MISSING: {
    stage: 'owner-certificate',
    exit: 1,
    summary: 'Signed conveyed information came without an owner certificate.',
  },
  SZTP_ERR_OWNER_CERT_CHAIN: {
    stage: 'owner-certificate',
    exit: 1,
    summary: "The owner certificate does not chain to the voucher's pinned-domain-cert.",
  },
  SZTP_ERR_OWNER_CERT_VALIDITY: {
    stage: 'owner-certificate',
    exit: 1,
    summary: 'A certificate on the owner path is expired or not yet valid.',
  },
  SZTP_ERR_OWNER_CERT_KEY_USAGE: {
    stage: 'owner-certificate',
    exit: 1,
    summary: 'The owner certificate KeyUsage lacks digitalSignature, or a CA on the path is not a CA.',
  },
  SZTP_ERR_OWNER_CERT_REVOKED: {
    stage: 'owner-certificate',
    exit: 1,
    summary: 'A certificate on the owner path is revoked.',
  },
  SZTP_ERR_OWNER_CERT_REVOCATION_UNAVAILABLE: {
    stage: 'owner-certificate',
    exit: 1,
    summary: 'Revocation checks are required but no fresh revocation data is available.',
  },

  // --- conveyed information ---
  SZTP_ERR_CONVEYED_SIGNER: {
    stage: 'conveyed-information',
    exit: 1,
    summary: 'The conveyed information is not signed by the validated owner certificate.',
  },
  SZTP_ERR_CONVEYED_SIGNATURE: {
    stage: 'conveyed-information',
    exit: 1,
    summary: 'The conveyed-information signature does not verify.',
  },
  SZTP_ERR_CONVEYED_UNSIGNED: {
    stage: 'conveyed-information',
    exit: 1,
    summary: 'Unsigned onboarding information from an untrusted source.',
  },
  SZTP_ERR_CONVEYED_DECODE: {
    stage: 'conveyed-information',
    exit: 1,
    summary: 'The conveyed information is not valid JSON/XML.',
  },
  SZTP_ERR_CONVEYED_SCHEMA: {
    stage: 'conveyed-information',
    exit: 1,
    summary: 'The conveyed information violates the ietf-sztp-conveyed-info schema.',
  },
  SZTP_ERR_CONVEYED_REDIRECT_NOT_ALLOWED: {
    stage: 'conveyed-information',
    exit: 1,
    summary: 'Redirect information where only onboarding information is allowed (e.g. EN9 conveyed-information.cms).',
  },

  // --- removable storage ---
  SZTP_ERR_USB_NOT_FOUND: { stage: 'usb', exit: 1, summary: 'No mount point holds an EN9 directory.' },
  SZTP_ERR_USB_ARTIFACT_MISSING: { stage: 'usb', exit: 1, summary: 'EN9 lacks one of the three artifacts.' },
  SZTP_ERR_USB_UNSAFE_PATH: {
    stage: 'usb',
    exit: 1,
    summary: 'A file on the stick is a symlink leaving the stick, has a bad name, or is too large.',
  },
  SZTP_ERR_USB_MOUNT: { stage: 'usb', exit: 1, summary: 'Auto-mounting a removable device failed.' },

  // --- DHCP ---
  SZTP_ERR_DHCP_INTERFACE: { stage: 'dhcp', exit: 1, summary: 'The configured interface is missing or down.' },
  SZTP_ERR_DHCP_TIMEOUT: { stage: 'dhcp', exit: 1, summary: 'No DHCP reply before the deadline.' },
  SZTP_ERR_DHCP_NO_OPTION: {
    stage: 'dhcp',
    exit: 1,
    summary: 'The DHCP reply carried no usable SZTP redirect option (143/136).',
  },
  SZTP_ERR_DHCP_DECODE: { stage: 'dhcp', exit: 1, summary: 'A malformed DHCP message or option.' },
  SZTP_ERR_DHCP_SOCKET: {
    stage: 'dhcp',
    exit: 1,
    summary: 'The DHCP socket could not be opened (permissions, address in use).',
  },
  SZTP_ERR_DHCP_LEASE_SOURCE: {
    stage: 'dhcp',
    exit: 1,
    summary: 'The lease file or hook environment could not be read.',
  },
  SZTP_ERR_DHCP_ADDRESS: { stage: 'dhcp', exit: 1, summary: 'Configuring or removing the leased address failed.' },

  // --- DNS (RFC 8572 §4.2) ---
  SZTP_ERR_DNS_NAME: {
    stage: 'dns',
    exit: 1,
    summary: 'A DNS query name cannot be formed (the serial number is not one DNS label, or a domain is too long).',
  },
  SZTP_ERR_DNS_SOCKET: {
    stage: 'dns',
    exit: 1,
    summary: 'A DNS socket could not be opened or a query could not be sent.',
  },
  SZTP_ERR_DNS_TIMEOUT: { stage: 'dns', exit: 1, summary: 'No DNS answer before [DNS] timeout_seconds.' },
  SZTP_ERR_DNS_SERVER: {
    stage: 'dns',
    exit: 1,
    summary: 'The DNS server answered with an error (SERVFAIL, REFUSED, FORMERR) or no resolver is known.',
  },
  SZTP_ERR_DNS_NO_RECORD: { stage: 'dns', exit: 1, summary: 'No SZTP TXT or SRV record was found (RFC 8572 §4.2).' },
  SZTP_ERR_DNS_DECODE: {
    stage: 'dns',
    exit: 1,
    summary: 'A malformed DNS message (bad name compression, truncated record, too many records).',
  },
  SZTP_ERR_DNS_TXT: {
    stage: 'dns',
    exit: 1,
    summary:
      'The device-specific TXT record is malformed (duplicate ci/oc/ov, empty or base64 value, unterminated split value, no ci).',
  },

  // --- bootstrap server (RESTCONF) ---
  SZTP_ERR_SERVER_CONNECT: {
    stage: 'bootstrap-server',
    exit: 1,
    summary: 'Connecting to the bootstrap server failed (refused, unreachable, DNS).',
  },
  SZTP_ERR_SERVER_TLS: {
    stage: 'bootstrap-server',
    exit: 1,
    summary:
      'TLS failed: the server certificate does not validate against the required trust anchor, or the handshake failed.',
  },
  SZTP_ERR_SERVER_TIMEOUT: {
    stage: 'bootstrap-server',
    exit: 1,
    summary: 'The bootstrap server did not answer in time.',
  },
  SZTP_ERR_SERVER_HTTP_STATUS: {
    stage: 'bootstrap-server',
    exit: 1,
    summary: 'The bootstrap server answered with an unexpected HTTP status (3xx is never followed).',
  },
  SZTP_ERR_SERVER_RESTCONF_ERROR: {
    stage: 'bootstrap-server',
    exit: 1,
    summary: 'The bootstrap server returned ietf-restconf:errors.',
  },
  SZTP_ERR_SERVER_RESPONSE: {
    stage: 'bootstrap-server',
    exit: 1,
    summary: 'The bootstrap server reply is malformed, too large or lacks conveyed-information.',
  },
  SZTP_ERR_SERVER_REDIRECT_LOOP: {
    stage: 'bootstrap-server',
    exit: 1,
    summary: 'Redirect depth cap reached or a redirect loop detected.',
  },
  SZTP_ERR_SERVER_EXHAUSTED: {
    stage: 'bootstrap-server',
    exit: 1,
    summary: 'Every bootstrap server in the list failed.',
  },
  SZTP_ERR_SERVER_BUDGET: {
    stage: 'bootstrap-server',
    exit: 1,
    summary: 'A walk of redirect information reached max_exchanges_per_walk; it stops.',
  },
  SZTP_ERR_SERVER_UNSIGNED_FROM_UNTRUSTED: {
    stage: 'bootstrap-server',
    exit: 1,
    summary: 'An untrusted (provisional) server returned unsigned onboarding information.',
  },
  SZTP_ERR_PROGRESS_REPORT: {
    stage: 'bootstrap-server',
    exit: 1,
    summary: 'A mandatory progress report (bootstrap-initiated/-complete) was not answered with 204.',
  },
  SZTP_ERR_SERVER_URI: {
    stage: 'bootstrap-server',
    exit: 1,
    summary: 'A bootstrap-server URI is not https://host[:port].',
  },

  // --- onboarding ---
  SZTP_ERR_ONBOARDING_IN_PROGRESS: {
    stage: 'onboarding',
    exit: 1,
    summary: 'Onboarding of other conveyed information is already in progress.',
  },
  SZTP_ERR_BOOT_IMAGE_HASH: {
    stage: 'onboarding',
    exit: 1,
    summary: 'The downloaded boot image does not match any image-verification hash.',
  },
  SZTP_ERR_BOOT_IMAGE_NO_VERIFIER: {
    stage: 'onboarding',
    exit: 1,
    summary: 'The boot image has no supported image-verification entry.',
  },
  SZTP_ERR_BOOT_IMAGE_REBOOT_LOOP: {
    stage: 'onboarding',
    exit: 1,
    summary: 'After installing and rebooting, the device still does not run the required image.',
  },
  SZTP_ERR_BOOT_IMAGE_REBOOT: {
    stage: 'onboarding',
    exit: 1,
    summary: 'The reboot after an image install failed; the next attempt installs and reboots again.',
  },
  SZTP_ERR_BOOT_IMAGE_INSTALL: {
    stage: 'onboarding',
    exit: 1,
    summary: 'The router adapter failed to install the boot image.',
  },
  SZTP_ERR_BOOT_IMAGE_SPACE: { stage: 'onboarding', exit: 1, summary: 'Not enough free space for the boot image.' },
  SZTP_ERR_SCRIPT_FAILED: {
    stage: 'onboarding',
    exit: 1,
    summary: 'A pre- or post-configuration script signalled an error.',
  },
  SZTP_ERR_SCRIPT_TIMEOUT: {
    stage: 'onboarding',
    exit: 1,
    summary: 'A pre- or post-configuration script exceeded its timeout.',
  },
  SZTP_ERR_CONFIG_COMMIT: {
    stage: 'onboarding',
    exit: 1,
    summary: 'The router adapter rejected the configuration; nothing was committed.',
  },
  SZTP_ERR_ROLLBACK: { stage: 'onboarding', exit: 1, summary: 'Restoring the pre-onboarding configuration failed.' },
  SZTP_ERR_REBOOT_REQUIRED: {
    stage: 'onboarding',
    exit: 1,
    reserved: true,
    summary: 'A boot image was installed; the device is rebooting (not a failure, exit code 10).',
  },

  // --- downloads ---
  SZTP_ERR_DOWNLOAD_FAILED: { stage: 'download', exit: 1, summary: 'Every download-uri mirror failed.' },
  SZTP_ERR_DOWNLOAD_URI: {
    stage: 'download',
    exit: 1,
    summary: 'A download-uri has an unsupported scheme or cannot be resolved.',
  },
  SZTP_ERR_DOWNLOAD_TOO_LARGE: { stage: 'download', exit: 1, summary: 'The download exceeds the size cap.' },
  SZTP_ERR_DOWNLOAD_TIMEOUT: {
    stage: 'download',
    exit: 1,
    summary: 'The download stalled (idle deadline) or exceeded its total deadline.',
  },
  SZTP_ERR_DOWNLOAD_TRUNCATED: {
    stage: 'download',
    exit: 1,
    summary: 'The connection dropped and the transfer could not be resumed.',
  },

  // --- router adapters ---
  SZTP_ERR_ADAPTER_NOT_FOUND: { stage: 'adapter', exit: 2, summary: 'The configured router adapter does not exist.' },
  SZTP_ERR_ADAPTER_INCOMPATIBLE: {
    stage: 'adapter',
    exit: 2,
    summary: 'An external adapter has an incompatible apiVersion or shape.',
  },
  SZTP_ERR_ADAPTER_COMMAND: {
    stage: 'adapter',
    exit: 1,
    summary: 'An adapter command failed (non-zero exit, timeout, missing binary).',
  },
  SZTP_ERR_ADAPTER_UNSUPPORTED: { stage: 'adapter', exit: 1, summary: 'The adapter does not support this operation.' },
} as const satisfies Record<string, CatalogueEntry>;

/** Every stable error code. */
export type SztpErrorCode = keyof typeof ERROR_CATALOGUE;

/** The exit code of a command ended by `err` (from the catalogue). */
export function exitCodeOf(err: SztpError): 1 | 2 {
  return ERROR_CATALOGUE[err.code].exit;
}

/** All codes, for the documentation check (docs/errors.md). */
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as SztpErrorCode[];

/** Options for {@link SztpError}. */
export interface SztpErrorOptions {
  /** Overrides the catalogue's default stage. */
  readonly stage?: Stage;
  /** The underlying error. */
  readonly cause?: unknown;
  /** Machine-readable evidence: which certificate, which check, which file and line. */
  readonly evidence?: Readonly<Record<string, unknown>>;
}

/** The base of every error the agent raises on purpose. `code` is the contract; the message is for people. */
export class SztpError extends Error {
  readonly code: SztpErrorCode;
  readonly stage: Stage;
  readonly evidence: Readonly<Record<string, unknown>> | undefined;

  constructor(code: SztpErrorCode, message: string, options: SztpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.stage = options.stage ?? ERROR_CATALOGUE[code].stage;
    this.evidence = options.evidence;
  }

  /** A JSON-safe view for logs, status and `--json` output. */
  toJSON(): { code: SztpErrorCode; stage: Stage; message: string; evidence?: Readonly<Record<string, unknown>> } {
    return this.evidence === undefined
      ? { code: this.code, stage: this.stage, message: this.message }
      : { code: this.code, stage: this.stage, message: this.message, evidence: this.evidence };
  }
}

/** A failure of one of the three RFC 8572 §5.4 validation steps. */
export class ValidationError extends SztpError {
  readonly step: ValidationStep;
  constructor(
    step: ValidationStep,
    code: SztpErrorCode,
    message: string,
    options: Omit<SztpErrorOptions, 'stage'> = {},
  ) {
    super(code, message, { ...options, stage: step });
    this.step = step;
  }
}

/** One problem in ztp.ini; ConfigError collects all of them. */
export interface ConfigProblem {
  readonly code: SztpErrorCode;
  readonly file: string;
  readonly line?: number;
  readonly section?: string;
  readonly key?: string;
  readonly message: string;
}

/** Every problem found in a configuration file, reported together (exit code 2, as every config code). */
export class ConfigError extends SztpError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    const lines = problems.map(formatConfigProblem);
    super(problems.length === 1 && problems[0] ? problems[0].code : 'SZTP_ERR_CONFIG_INVALID', lines.join('\n'), {
      evidence: { problems },
    });
    this.problems = problems;
  }
}

/** `ztp.ini:5: [Fetcher Priority] Foo: unknown fetcher (SZTP_ERR_CONFIG_UNKNOWN_KEY)` */
export function formatConfigProblem(p: ConfigProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return `${where}: ${p.message} (${p.code})`;
}

/** Type guard that works across module copies (checks the shape, not only instanceof). */
export function isSztpError(value: unknown): value is SztpError {
  return (
    value instanceof SztpError ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as { code?: unknown }).code === 'string' &&
      (value as { code: string }).code in ERROR_CATALOGUE)
  );
}

/** True for SZTP_ERR_USAGE: the command line is wrong (exit code 2). */
export function isUsageError(value: unknown): value is SztpError {
  return isSztpError(value) && value.code === 'SZTP_ERR_USAGE';
}

/** Wraps anything thrown into an SztpError with the given code, keeping SztpErrors as they are. */
export function toSztpError(err: unknown, code: SztpErrorCode, message?: string): SztpError {
  if (isSztpError(err)) return err;
  const text = messageOf(err);
  return new SztpError(code, message === undefined ? text : `${message}: ${text}`, { cause: err });
}
