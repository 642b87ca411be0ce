/**
 * Fetcher names (`[Fetcher Priority]` keys) → fetcher factories. The daemon builds the enabled
 * fetchers in the configured order; tests pass their own Fetcher list to the loop instead.
 * @module
 */
import type { FetcherName } from '../config/types.ts';
import { createDhcpFetcher } from './dhcp.ts';
import type { Fetcher } from '../contracts/fetch.ts';
import { createServerFetcher } from './server.ts';
import { createUsbFetcher } from './usb.ts';

export const FETCHER_FACTORIES: Readonly<Record<FetcherName, () => Fetcher>> = {
  USB: () => createUsbFetcher(),
  Mgmt4: () => createDhcpFetcher('Mgmt4'),
  Mgmt6: () => createDhcpFetcher('Mgmt6'),
  DPort4: () => createDhcpFetcher('DPort4'),
  DPort6: () => createDhcpFetcher('DPort6'),
  Server: () => createServerFetcher(),
};

/** The fetchers for `names`, in that order. */
export function createFetchers(names: readonly FetcherName[]): Fetcher[] {
  return names.map((name) => FETCHER_FACTORIES[name]());
}
