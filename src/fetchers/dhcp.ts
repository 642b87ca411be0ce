/**
 * STUB: the DHCP fetchers (Mgmt4, Mgmt6, DPort4, DPort6). Replace this file; keep the export name.
 * @module
 */
import { SztpError } from '../errors.ts';
import type { Fetcher } from './fetcher.ts';

export function createDhcpFetcher(name: 'Mgmt4' | 'Mgmt6' | 'DPort4' | 'DPort6'): Fetcher {
  return { name, fetch: () => Promise.reject(new SztpError('SZTP_ERR_FETCHER_UNAVAILABLE', `${name} fetcher not implemented yet`)) };
}
