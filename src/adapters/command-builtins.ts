/**
 * The built-in adapters implemented by the command adapter: `command` (templates only from
 * `[Command Adapter]`) and the presets `frr`, `iosxr` and `sonic` (docs/command-adapter.md).
 * src/adapters/registry.ts spreads this table into its built-in list.
 * @module
 */
import { createCommandAdapter } from './command.ts';
import { COMMAND_BASE } from './presets/base.ts';
import { FRR_PRESET } from './presets/frr.ts';
import { IOSXR_PRESET } from './presets/iosxr.ts';
import { SONIC_PRESET } from './presets/sonic.ts';
import type { AdapterContext, RouterAdapter } from './router-adapter.ts';

export type AdapterFactory = (ctx: AdapterContext) => RouterAdapter | Promise<RouterAdapter>;

export const COMMAND_ADAPTERS: Readonly<Record<string, AdapterFactory>> = {
  command: (ctx) => createCommandAdapter(ctx, COMMAND_BASE),
  frr: (ctx) => createCommandAdapter(ctx, FRR_PRESET),
  iosxr: (ctx) => createCommandAdapter(ctx, IOSXR_PRESET),
  sonic: (ctx) => createCommandAdapter(ctx, SONIC_PRESET),
};
