/**
 * The `[Command Adapter]` keys (docs/command-adapter.md): which operations exist, which
 * placeholders each may use, their default timeouts, and the compilation of a preset plus the
 * user's settings into ready argv templates. User keys override preset keys one by one; an empty
 * value switches an operation off. Pure module (no I/O); errors are SZTP_ERR_CONFIG_VALUE.
 * @module
 */
import { BOOLEAN_GRAMMAR, parseBoolean } from '../lib/bool.ts';
import { SztpError } from '../errors.ts';
import { compileTemplate, receivedAsCode } from './command-template.ts';
import type { CommandTemplate, TemplateToken } from './command-template.ts';

/** Every command operation, its placeholders (besides `{work_dir}`) and default timeout in seconds. */
export const OPERATIONS = {
  identity_serial: { placeholders: [], timeout: 30 },
  identity_hw_model: { placeholders: [], timeout: 30 },
  identity_os_name: { placeholders: [], timeout: 30 },
  identity_os_version: { placeholders: [], timeout: 30 },
  snapshot: { placeholders: ['snapshot'], timeout: 120 },
  restore: { placeholders: ['snapshot'], timeout: 300 },
  commit_check: { placeholders: ['file', 'mode'], timeout: 120 },
  commit_merge: { placeholders: ['file'], timeout: 300 },
  commit_replace: { placeholders: ['file'], timeout: 300 },
  save: { placeholders: [], timeout: 120 },
  install_image: { placeholders: ['image', 'os_name', 'os_version', 'sha256'], timeout: 3600 },
  reboot: { placeholders: [], timeout: 120 },
  run_script: { placeholders: ['script', 'kind'], timeout: 0 },
  ssh_host_keys: { placeholders: [], timeout: 30 },
  trust_anchors: { placeholders: [], timeout: 30 },
  factory_reset: { placeholders: [], timeout: 600 },
} as const satisfies Record<string, { placeholders: readonly string[]; timeout: number }>;

export type Operation = keyof typeof OPERATIONS;
export const OPERATION_NAMES = Object.keys(OPERATIONS) as Operation[];

/** A preset: default settings (templates and plain keys) plus load-time macros, in definition order. */
export interface CommandPreset {
  readonly name: string;
  /** Macro name → template text; a macro may use macros defined before it. Overridable by key. */
  readonly macros: readonly (readonly [string, string])[];
  /** Operation templates and plain keys. */
  readonly settings: Readonly<Record<string, string>>;
}

export interface CompiledOperation {
  readonly template: CommandTemplate;
  /** 0 = the caller supplies the timeout (run_script). */
  readonly timeoutMs: number;
}

export interface CommandSettings {
  readonly operations: Readonly<Partial<Record<Operation, CompiledOperation>>>;
  /** Literal identity values (`serial_number`, `hw_model`, `os_name`, `os_version`) that win over commands. */
  readonly identity: Readonly<Partial<Record<'serialNumber' | 'hwModel' | 'osName' | 'osVersion', string>>>;
  /** File name suffix of configuration files handed to commit commands (e.g. `.conf`, `.json`). */
  readonly configSuffix: string;
  /** Snapshot before each commit and restore it when the commit fails (default on when snapshot+restore exist). */
  readonly atomicCommit: boolean;
  /** PATH for every command (default: the agent's PATH). */
  readonly path?: string;
}

/** Placeholders whose values come from received (validated) onboarding information, not from the agent. */
const RECEIVED_PLACEHOLDERS: ReadonlySet<string> = new Set(['os_name', 'os_version']);
/** The environment variables that carry the same received values to every install_image command. */
export const RECEIVED_ENV: Readonly<Record<string, string>> = {
  os_name: 'SZTP_OS_NAME',
  os_version: 'SZTP_OS_VERSION',
};

function valueError(key: string, value: string, message: string): SztpError {
  return new SztpError('SZTP_ERR_CONFIG_VALUE', `[Command Adapter] ${key} = ${value}: ${message}`, {
    stage: 'config',
    evidence: { key, value },
  });
}

function seconds(key: string, value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value.trim())) throw valueError(key, value, 'expected a number of seconds');
  const n = Number(value);
  if (n <= 0 || n > 86400) throw valueError(key, value, 'expected 0 < seconds <= 86400');
  return Math.round(n * 1000);
}

function bool(key: string, value: string): boolean {
  const v = parseBoolean(value);
  if (v === undefined) throw valueError(key, value, `expected ${BOOLEAN_GRAMMAR}`);
  return v;
}

/** Merges preset and user settings and compiles every configured operation. */
export function compileCommandSettings(preset: CommandPreset, user: Readonly<Record<string, string>>): CommandSettings {
  const get = (key: string): string | undefined => (Object.hasOwn(user, key) ? user[key] : preset.settings[key]);
  const macros = new Map<string, readonly TemplateToken[]>();
  for (const [name, text] of preset.macros) {
    const source = Object.hasOwn(user, name) ? (user[name] ?? '') : text;
    const compiled = compileTemplate(name, source, macros, new Set());
    macros.set(name, compiled.tokens);
  }
  for (const key of Object.keys(user)) {
    const op = /^(.+)_timeout_seconds$/.exec(key)?.[1];
    if (op !== undefined && !(OPERATION_NAMES as readonly string[]).includes(op)) {
      throw new SztpError(
        'SZTP_ERR_CONFIG_UNKNOWN_KEY',
        `[Command Adapter] ${key}: there is no operation '${op}' (docs/command-adapter.md)`,
        {
          stage: 'config',
          evidence: { key },
        },
      );
    }
  }
  const globalTimeout = get('timeout_seconds');
  const operations: Partial<Record<Operation, CompiledOperation>> = {};
  const defaultMs = globalTimeout === undefined ? undefined : seconds('timeout_seconds', globalTimeout);
  for (const op of OPERATION_NAMES) {
    // Timeouts are checked even for switched-off operations: a typo must not go unnoticed.
    const own = get(`${op}_timeout_seconds`);
    const ownMs = own === undefined ? undefined : seconds(`${op}_timeout_seconds`, own);
    const source = get(op);
    if (source === undefined || source.trim() === '') continue;
    const allowed = new Set<string>(['work_dir', ...OPERATIONS[op].placeholders]);
    const template = compileTemplate(op, source, macros, allowed);
    const code = receivedAsCode(template.tokens, RECEIVED_PLACEHOLDERS);
    if (code !== undefined) {
      const env = RECEIVED_ENV[code.name] ?? 'SZTP_OS_VERSION';
      throw valueError(
        op,
        source,
        `{${code.name}} carries received data and may only be a whole argument of a command that is not an interpreter, but ${code.why}; ` +
          `pass it as a whole argument (installer --version {${code.name}}) or read it from the environment ("$${env}")`,
      );
    }
    const timeoutMs = ownMs ?? (OPERATIONS[op].timeout === 0 ? 0 : (defaultMs ?? OPERATIONS[op].timeout * 1000));
    operations[op] = { template, timeoutMs };
  }
  const identity: Partial<Record<'serialNumber' | 'hwModel' | 'osName' | 'osVersion', string>> = {};
  for (const [key, field] of [
    ['serial_number', 'serialNumber'],
    ['hw_model', 'hwModel'],
    ['os_name', 'osName'],
    ['os_version', 'osVersion'],
  ] as const) {
    const v = get(key)?.trim();
    if (v !== undefined && v !== '') identity[field] = v;
  }
  const suffix = get('config_suffix') ?? '.cfg';
  if (!/^[A-Za-z0-9._-]{0,16}$/.test(suffix))
    throw valueError('config_suffix', suffix, 'expected a short file suffix like .conf');
  const atomicRaw = get('atomic_commit');
  const atomicCommit =
    atomicRaw === undefined
      ? operations.snapshot !== undefined && operations.restore !== undefined
      : bool('atomic_commit', atomicRaw);
  if (atomicCommit && (operations.snapshot === undefined || operations.restore === undefined)) {
    throw valueError('atomic_commit', atomicRaw ?? '', 'needs both snapshot and restore commands');
  }
  const path = get('path');
  return {
    operations,
    identity,
    configSuffix: suffix,
    atomicCommit,
    ...(path === undefined || path === '' ? {} : { path }),
  };
}
