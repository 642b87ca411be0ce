/**
 * The two dependencies that the light commands (`status`, `secure-mode`, `reset`) share with `run`:
 * the state store of state_dir and the configured router adapter. Kept apart from the composition
 * root (./wire.ts) so that those commands never load the fetchers, the trust pipeline or undici.
 * @module
 */
import type { Logger } from 'pino';
import { loadAdapter } from '../adapters/registry.ts';
import type { RouterAdapter } from '../adapters/router-adapter.ts';
import type { AgentConfig } from '../config/types.ts';
import { stateLayout } from '../lib/state-layout.ts';
import { room } from '../log/logger.ts';
import { createStateStore, type FileStateStore } from '../state/store.ts';

/** The state store of `config.agent.stateDir`. */
export function openStore(config: AgentConfig, log: Logger, now: () => Date = () => new Date()): FileStateStore {
  return createStateStore({ dir: config.agent.stateDir, log: room(log, 'state'), now });
}

/** The router adapter named by `[Router] adapter`, with its work directory under state_dir. */
export function openAdapter(config: AgentConfig, log: Logger): Promise<RouterAdapter> {
  return loadAdapter(config.router.adapter, {
    settings: config.router.settings,
    workDir: stateLayout(config.agent.stateDir).adapterDir,
    baseDir: config.baseDir,
    log: room(log, 'adapter'),
  });
}
