/**
 * Router adapter registry: the one list of built-in adapters (`simulated`, and the command adapter
 * with its presets `command`, `frr`, `iosxr`, `sonic`), each entry with its metadata: the ztp.ini
 * sections it reads, a config-time settings check (so a template error carries file:line when
 * ztp.ini is read, not first at `run`), and the capabilities it provides with given settings
 * (checked before onboarding starts). Adding a preset is one entry here plus its test. Also loads
 * external adapters from a module path, with the `apiVersion` and shape check (docs/adapters.md).
 * @module
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SztpError } from '../errors.ts';
import { createCommandAdapter } from './command.ts';
import { compileCommandSettings, type CommandPreset, type CommandSettings } from './command-settings.ts';
import { COMMAND_BASE } from './presets/base.ts';
import { FRR_PRESET } from './presets/frr.ts';
import { IOSXR_PRESET } from './presets/iosxr.ts';
import { SONIC_PRESET } from './presets/sonic.ts';
import {
  ADAPTER_CAPABILITIES,
  ROUTER_ADAPTER_API_VERSION,
  type AdapterCapability,
  type AdapterContext,
  type RouterAdapter,
} from './router-adapter.ts';
import { createSimulatedAdapter } from './simulated.ts';
import { messageOf } from '../lib/error-info.ts';

type Settings = Readonly<Record<string, string>>;

export interface BuiltinAdapter {
  /** The `[Router] adapter` value that selects it. */
  readonly name: string;
  /** The ztp.ini sections its settings come from, in override order (`[Router]` first; names match case-insensitively). */
  readonly sections: readonly string[];
  /** Config-time check of the settings; throws an SztpError whose `evidence.key` names the offending key. */
  readonly checkSettings: (settings: Settings) => void;
  /** What the adapter can do with these settings. */
  readonly capabilities: (settings: Settings) => ReadonlySet<AdapterCapability>;
  /** The preset it runs (command adapter family only). */
  readonly preset?: CommandPreset;
  readonly create: (ctx: AdapterContext) => RouterAdapter | Promise<RouterAdapter>;
}

/** The capabilities of a command adapter: one per configured operation. */
function commandCapabilities(s: CommandSettings): ReadonlySet<AdapterCapability> {
  const has: Record<AdapterCapability, boolean> = {
    'commit-merge': s.operations.commit_merge !== undefined,
    'commit-replace': s.operations.commit_replace !== undefined,
    'install-image': s.operations.install_image !== undefined,
    reboot: s.operations.reboot !== undefined,
    'run-script': s.operations.run_script !== undefined,
  };
  return new Set(ADAPTER_CAPABILITIES.filter((c) => has[c]));
}

/** A built-in of the command adapter family: reads `[Command Adapter]` and `[<Name> Adapter]`. */
function commandFamily(preset: CommandPreset): BuiltinAdapter {
  return {
    name: preset.name,
    sections: ['Router', 'Command Adapter', `${preset.name} Adapter`],
    checkSettings: (settings) => {
      compileCommandSettings(preset, settings);
    },
    capabilities: (settings) => commandCapabilities(compileCommandSettings(preset, settings)),
    preset,
    create: (ctx) => createCommandAdapter(ctx, preset),
  };
}

/** Every built-in adapter. */
export const BUILTIN_ADAPTERS: readonly BuiltinAdapter[] = [
  {
    name: 'simulated',
    sections: ['Router', 'simulated Adapter'],
    checkSettings: () => undefined,
    capabilities: () => new Set(ADAPTER_CAPABILITIES),
    create: createSimulatedAdapter,
  },
  commandFamily(COMMAND_BASE),
  commandFamily(FRR_PRESET),
  commandFamily(IOSXR_PRESET),
  commandFamily(SONIC_PRESET),
];

/** The built-in adapter called exactly `name`, if any. */
export function builtinAdapter(name: string): BuiltinAdapter | undefined {
  return BUILTIN_ADAPTERS.find((a) => a.name === name);
}

/** The sections an adapter's settings come from: its entry's, or `[Router]` and `[<name> Adapter]` for a module. */
export function adapterSections(name: string): readonly string[] {
  return builtinAdapter(name.toLowerCase())?.sections ?? ['Router', `${name} Adapter`];
}

/** The built-in adapters by name. */
export function builtinAdapters(): Readonly<Record<string, BuiltinAdapter['create']>> {
  return Object.fromEntries(BUILTIN_ADAPTERS.map((a) => [a.name, a.create]));
}

/** Every method an adapter must implement (checked on external adapters and built-ins alike). */
export const ADAPTER_METHODS = [
  'identity',
  'installBootImage',
  'reboot',
  'runScript',
  'snapshotConfiguration',
  'commitConfiguration',
  'restoreConfiguration',
  'discardSnapshot',
  'sshHostKeys',
  'trustAnchorCerts',
  'factoryReset',
] as const satisfies readonly (keyof RouterAdapter)[];

/** True when `[Router] adapter` names a module file rather than a built-in. */
export function isModulePath(name: string): boolean {
  return name.includes('/') || name.includes('\\') || name.endsWith('.js') || name.endsWith('.mjs');
}

/** Throws SZTP_ERR_ADAPTER_INCOMPATIBLE unless `value` is a RouterAdapter of our API version. */
export function checkAdapter(value: unknown, origin: string): RouterAdapter {
  if (typeof value !== 'object' || value === null) {
    throw new SztpError('SZTP_ERR_ADAPTER_INCOMPATIBLE', `${origin}: createAdapter did not return an object`);
  }
  const candidate = value as Record<string, unknown>;
  if (candidate.apiVersion !== ROUTER_ADAPTER_API_VERSION) {
    throw new SztpError(
      'SZTP_ERR_ADAPTER_INCOMPATIBLE',
      `${origin}: apiVersion ${String(candidate.apiVersion)} is not ${ROUTER_ADAPTER_API_VERSION}`,
      { evidence: { expected: ROUTER_ADAPTER_API_VERSION, actual: candidate.apiVersion } },
    );
  }
  const missing: string[] = ADAPTER_METHODS.filter((m) => typeof candidate[m] !== 'function');
  if (typeof candidate.name !== 'string') missing.unshift('name');
  if (missing.length > 0) {
    throw new SztpError('SZTP_ERR_ADAPTER_INCOMPATIBLE', `${origin}: missing ${missing.join(', ')}`, {
      evidence: { missing },
    });
  }
  return value as RouterAdapter;
}

async function loadModule(name: string, ctx: AdapterContext): Promise<RouterAdapter> {
  const path = isAbsolute(name) ? name : resolve(ctx.baseDir, name);
  let mod: unknown;
  try {
    mod = await import(pathToFileURL(path).href);
  } catch (err) {
    throw new SztpError('SZTP_ERR_ADAPTER_NOT_FOUND', `cannot load adapter module ${path}: ${messageOf(err)}`, {
      cause: err,
    });
  }
  const create = (mod as { createAdapter?: unknown }).createAdapter;
  if (typeof create !== 'function') {
    throw new SztpError('SZTP_ERR_ADAPTER_INCOMPATIBLE', `${path} does not export createAdapter(ctx)`);
  }
  let adapter: unknown;
  try {
    adapter = await (create as (c: AdapterContext) => unknown)(ctx);
  } catch (err) {
    throw new SztpError('SZTP_ERR_ADAPTER_INCOMPATIBLE', `${path}: createAdapter failed: ${messageOf(err)}`, {
      cause: err,
    });
  }
  return checkAdapter(adapter, path);
}

/** Creates the adapter named by `[Router] adapter` (a built-in name or a module path). */
export async function loadAdapter(name: string, ctx: AdapterContext): Promise<RouterAdapter> {
  if (isModulePath(name)) return loadModule(name, ctx);
  const builtin = builtinAdapter(name);
  if (builtin === undefined) {
    const known = BUILTIN_ADAPTERS.map((a) => a.name)
      .sort()
      .join(', ');
    throw new SztpError(
      'SZTP_ERR_ADAPTER_NOT_FOUND',
      `unknown router adapter '${name}' (built-in: ${known}; or a path to a .js/.mjs module)`,
    );
  }
  return checkAdapter(await builtin.create(ctx), `built-in adapter ${name}`);
}
