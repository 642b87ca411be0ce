/**
 * STUB (owned by the command-adapter work): the built-in adapters implemented by the command
 * adapter (`command`, `frr`, `iosxr`, `sonic`). src/adapters/registry.ts spreads this table into
 * its built-in list. Replace this file; keep the export.
 * @module
 */
import type { AdapterContext, RouterAdapter } from './router-adapter.ts';

export type AdapterFactory = (ctx: AdapterContext) => RouterAdapter | Promise<RouterAdapter>;

export const COMMAND_ADAPTERS: Readonly<Record<string, AdapterFactory>> = {};
