/**
 * Fetcher names (`[Fetcher Priority]` keys) → fetcher factories. The daemon builds the enabled
 * fetchers in the configured order; tests pass their own Fetcher list to the loop instead.
 * Each fetcher loads its protocol code (USB layout, DHCP clients, the RESTCONF client) the first
 * time it is tried, so a daemon that only ever looks at USB never loads the DHCP clients.
 * @module
 */
import type { FetcherName } from '../config/types.ts';
import type { Fetcher, FetchContext, OnboardingSource } from '../contracts/fetch.ts';

/** A fetcher whose implementation module is imported on its first `fetch` (then kept). */
export function lazyFetcher(name: FetcherName, load: () => Promise<Fetcher>): Fetcher {
  let real: Promise<Fetcher> | undefined;
  return {
    name,
    fetch(ctx: FetchContext): Promise<OnboardingSource> {
      real ??= load();
      return real.then((f) => f.fetch(ctx));
    },
  };
}

const dhcp = (name: 'Mgmt4' | 'Mgmt6' | 'DPort4' | 'DPort6') => (): Fetcher =>
  lazyFetcher(name, async () => (await import('./dhcp.ts')).createDhcpFetcher(name));

export const FETCHER_FACTORIES: Readonly<Record<FetcherName, () => Fetcher>> = {
  USB: () => lazyFetcher('USB', async () => (await import('./usb.ts')).createUsbFetcher()),
  Mgmt4: dhcp('Mgmt4'),
  Mgmt6: dhcp('Mgmt6'),
  DPort4: dhcp('DPort4'),
  DPort6: dhcp('DPort6'),
  DNS: () => lazyFetcher('DNS', async () => (await import('./dns.ts')).createDnsFetcher()),
  Server: () => lazyFetcher('Server', async () => (await import('./server.ts')).createServerFetcher()),
};

/** The fetchers for `names`, in that order. */
export function createFetchers(names: readonly FetcherName[]): Fetcher[] {
  return names.map((name) => FETCHER_FACTORIES[name]());
}
