/**
 * Renders ztp.ini text from the schema: `ztp.ini.example` (every key with its default and a
 * comment), the README reference table, and the effective configuration printed by
 * `sztp-agent config` (ztp.ini syntax, so it can be saved and reused).
 * @module
 */
import { FETCHER_DEFAULTS } from './fetchers.ts';
import { CONFIG_SCHEMA, FETCHER_PRIORITY_SECTION } from './schema.ts';
import type { AgentConfig } from './types.ts';

/** What the effective configuration prints instead of a secret value. */
export const HIDDEN = '(hidden)';

/** The text of ztp.ini.example. */
export function renderExample(): string {
  const out: string[] = [
    '# sztp-agent configuration (ztp.ini). Every key is shown with its default.',
    '# Syntax: `key: value` or `key = value`; booleans True/False, yes/no, on/off or 1/0 (any case);',
    '# `#` and `;` start comments. Relative paths resolve against this file\'s directory.',
    '# Keys that are commented out have no default (unset).',
  ];
  let section = '';
  for (const e of CONFIG_SCHEMA) {
    if (e.section !== section) {
      section = e.section;
      out.push('', `[${section}]`);
      if (section === 'Router') out.push('# Any other [Router] key, and every key of [<Adapter> Adapter] (e.g. [Command Adapter]), is passed to the adapter.');
    }
    out.push(`# ${e.description}`);
    out.push(e.default === undefined ? `# ${e.key}:` : `${e.key}:${e.default === '' ? '' : ` ${e.default}`}`);
    if (section === 'Startup' && e.key === 'retry_forever') out.push(...priorityBlock());
  }
  return `${out.join('\n')}\n`;
}

function priorityBlock(): string[] {
  return [
    '',
    `[${FETCHER_PRIORITY_SECTION}]`,
    '# 0 is tried first, 9 last; ties keep file order; a fetcher not listed is disabled.',
    `# Without this section: the values below${FETCHER_DEFAULTS.conditional.map((f) => `, plus ${f.name} ${f.enabledWhen?.description ?? ''}`).join('')}.`,
    ...FETCHER_DEFAULTS.always.map((f) => `${f.name}: ${f.defaultPriority}`),
    ...FETCHER_DEFAULTS.conditional.map((f) => `# ${f.name}: ${f.defaultPriority}`),
  ];
}

/** Markdown table of every key (README "ztp.ini reference"). */
export function renderReferenceTable(): string {
  const rows = CONFIG_SCHEMA.map((e) => `| \`[${e.section}]\` | \`${e.key}\` | ${e.default === undefined || e.default === '' ? '(unset)' : `\`${e.default}\``} | ${e.description.replace(/\|/g, '\\|')} |`);
  return ['| Section | Key | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** The effective configuration in ztp.ini syntax. */
export function renderEffective(config: AgentConfig): string {
  const b = (x: boolean): string => (x ? 'True' : 'False');
  const l = (x: readonly string[]): string => x.join(', ');
  const o = (x: string | undefined): string => x ?? '';
  const sections: [string, [string, string][]][] = [
    ['Startup', [['start', b(config.startup.start)], ['retry_forever', b(config.startup.retryForever)]]],
    [FETCHER_PRIORITY_SECTION, config.fetchers.map((f, i) => [f, String(Math.min(i, 9))])],
    ['Device', [
      ['serial_number', o(config.device.serialNumber)], ['idevid_cert', o(config.device.idevidCert)], ['idevid_key', o(config.device.idevidKey)],
      ['pkcs11_module', o(config.device.pkcs11Module)], ['pkcs11_pin_file', o(config.device.pkcs11PinFile)], ['pkcs11_engine', o(config.device.pkcs11Engine)],
      ['tpm2_tcti', config.device.tpm2Tcti], ['key_timeout_seconds', String(config.device.keyTimeoutSeconds)],
      ['voucher_trust_anchors', o(config.device.voucherTrustAnchors)], ['bootstrap_trust_anchors', o(config.device.bootstrapTrustAnchors)],
      ['voucher_signers', l(config.device.voucherSigners)], ['strict_voucher_signer', b(config.device.strictVoucherSigner)],
      ['clock_trusted', b(config.device.clockTrusted)], ['accepted_assertions', l(config.device.acceptedAssertions)],
    ]],
    ['USB', [['mount_points', l(config.usb.mountPoints)], ['auto_mount', b(config.usb.autoMount)], ['settle_seconds', String(config.usb.settleSeconds)]]],
    ['Bootstrap', [
      ['servers', l(config.bootstrap.servers)], ['nonce', b(config.bootstrap.nonce)],
      ['connect_timeout_seconds', String(config.bootstrap.connectTimeoutSeconds)], ['response_timeout_seconds', String(config.bootstrap.responseTimeoutSeconds)],
      ['max_response_bytes', String(config.bootstrap.maxResponseBytes)], ['max_redirect_depth', String(config.bootstrap.maxRedirectDepth)],
      ['max_exchanges_per_walk', String(config.bootstrap.maxExchangesPerWalk)], ['max_untrusted_redirect_entries', String(config.bootstrap.maxUntrustedRedirectEntries)],
      ['csr_support', b(config.bootstrap.csrSupport)],
      // The activation code is a secret: the effective configuration only says that one is set.
      ['activation_code', config.bootstrap.activationCode === undefined ? '' : HIDDEN], ['activation_code_file', o(config.bootstrap.activationCodeFile)],
      ['activation_code_provisional', b(config.bootstrap.activationCodeProvisional)],
    ]],
    ['Interfaces', [['Mgmt', o(config.interfaces.mgmt)], ['DPort', l(config.interfaces.dport)]]],
    ['DHCP', [['source', config.dhcp.source], ['timeout_seconds', String(config.dhcp.timeoutSeconds)], ['lease_files', l(config.dhcp.leaseFiles)],
      ['dhclient_conf', l(config.dhcp.dhclientConf)], ['networkd_leases', l(config.dhcp.networkdLeases)],
      ...(config.dhcp.networkdOption === undefined ? [] : [['networkd_option', String(config.dhcp.networkdOption)] as [string, string]]), ['hook_dir', config.dhcp.hookDir],
      ['accept_nonconforming_uris', b(config.dhcp.acceptNonconformingUris)]]],
    ['DNS', [['mdns', b(config.dns.mdns)], ['domains', l(config.dns.domains)], ['servers', l(config.dns.servers)], ['timeout_seconds', String(config.dns.timeoutSeconds)], ['resolv_conf', config.dns.resolvConf]]],
    ['Router', [['adapter', config.router.adapter], ...Object.entries(config.router.settings).filter(([k]) => k.toLowerCase() !== 'adapter')]],
    ['Onboarding', [['script_timeout_seconds', String(config.onboarding.scriptTimeoutSeconds)], ['max_image_bytes', String(config.onboarding.maxImageBytes)],
      ['image_without_criteria', config.onboarding.imageWithoutCriteria]]],
    ['Agent', [
      ['state_dir', config.agent.stateDir], ['log_level', config.agent.logLevel],
      ['backoff_initial_seconds', String(config.agent.backoffInitialSeconds)], ['backoff_max_seconds', String(config.agent.backoffMaxSeconds)],
    ]],
  ];
  const lines = [`# effective configuration of ${config.file}`];
  for (const [name, entries] of sections) {
    lines.push('', `[${name}]`, ...entries.map(([k, v]) => `${k}: ${v}`));
  }
  return `${lines.join('\n')}\n`;
}
