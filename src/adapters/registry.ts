/**
 * STUB (owned by the onboarding/adapter work): built-in adapter list and external adapter
 * loading with apiVersion check. Replace this file; keep the export name.
 * @module
 */
import { SztpError } from '../errors.ts';
import type { AdapterContext, RouterAdapter } from './router-adapter.ts';

/** Creates the adapter named by `[Router] adapter` (a built-in name or a module path). */
export function loadAdapter(name: string, _ctx: AdapterContext): Promise<RouterAdapter> {
  return Promise.reject(new SztpError('SZTP_ERR_ADAPTER_NOT_FOUND', `no router adapter '${name}' yet`));
}
