/**
 * Router adapter registry: the built-in adapters (`simulated` plus the command adapter family from
 * ./command-builtins.ts) and loading of external adapters from a module path, with the
 * `apiVersion` and shape check, so an incompatible adapter fails at start-up with a coded error
 * rather than mid-onboarding (documented in docs/adapters.md).
 * @module
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SztpError } from '../errors.ts';
import { COMMAND_ADAPTERS, type AdapterFactory } from './command-builtins.ts';
import { ROUTER_ADAPTER_API_VERSION, type AdapterContext, type RouterAdapter } from './router-adapter.ts';
import { createSimulatedAdapter } from './simulated.ts';

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

/** The built-in adapters by name. */
export function builtinAdapters(): Readonly<Record<string, AdapterFactory>> {
  return { ...COMMAND_ADAPTERS, simulated: createSimulatedAdapter };
}

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
    throw new SztpError('SZTP_ERR_ADAPTER_INCOMPATIBLE',
      `${origin}: apiVersion ${String(candidate.apiVersion)} is not ${ROUTER_ADAPTER_API_VERSION}`,
      { evidence: { expected: ROUTER_ADAPTER_API_VERSION, actual: candidate.apiVersion } });
  }
  const missing: string[] = ADAPTER_METHODS.filter((m) => typeof candidate[m] !== 'function');
  if (typeof candidate.name !== 'string') missing.unshift('name');
  if (missing.length > 0) {
    throw new SztpError('SZTP_ERR_ADAPTER_INCOMPATIBLE', `${origin}: missing ${missing.join(', ')}`, { evidence: { missing } });
  }
  return value as RouterAdapter;
}

async function loadModule(name: string, ctx: AdapterContext): Promise<RouterAdapter> {
  const path = isAbsolute(name) ? name : resolve(ctx.baseDir, name);
  let mod: unknown;
  try {
    mod = await import(pathToFileURL(path).href);
  } catch (err) {
    throw new SztpError('SZTP_ERR_ADAPTER_NOT_FOUND', `cannot load adapter module ${path}: ${(err as Error).message}`, { cause: err });
  }
  const create = (mod as { createAdapter?: unknown }).createAdapter;
  if (typeof create !== 'function') {
    throw new SztpError('SZTP_ERR_ADAPTER_INCOMPATIBLE', `${path} does not export createAdapter(ctx)`);
  }
  let adapter: unknown;
  try {
    adapter = await (create as (c: AdapterContext) => unknown)(ctx);
  } catch (err) {
    throw new SztpError('SZTP_ERR_ADAPTER_INCOMPATIBLE', `${path}: createAdapter failed: ${(err as Error).message}`, { cause: err });
  }
  return checkAdapter(adapter, path);
}

/** Creates the adapter named by `[Router] adapter` (a built-in name or a module path). */
export async function loadAdapter(name: string, ctx: AdapterContext): Promise<RouterAdapter> {
  if (isModulePath(name)) return loadModule(name, ctx);
  const factory = builtinAdapters()[name];
  if (factory === undefined) {
    const known = Object.keys(builtinAdapters()).sort().join(', ');
    throw new SztpError('SZTP_ERR_ADAPTER_NOT_FOUND', `unknown router adapter '${name}' (built-in: ${known}; or a path to a .js/.mjs module)`);
  }
  return checkAdapter(await factory(ctx), `built-in adapter ${name}`);
}
