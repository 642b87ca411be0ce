/**
 * The fetcher catalogue: every fetcher name `[Fetcher Priority]` accepts, its default priority, and
 * when it is enabled without a `[Fetcher Priority]` section (the seed's defaults; the RFC 8572 §4
 * source order is a local convention). src/fetchers/registry.ts gives every name its factory (a
 * row without a factory does not compile), so a new fetcher is one row here plus its factory.
 * @module
 */
import type { AgentConfig } from './types.ts';

export interface FetcherRow {
  readonly name: string;
  /** Priority (0 first .. 9 last) when `[Fetcher Priority]` is absent. */
  readonly defaultPriority: number;
  /** Without `[Fetcher Priority]` the fetcher is enabled always, or only when `test` holds. */
  readonly enabledWhen?: {
    readonly description: string;
    readonly test: (config: Omit<AgentConfig, 'fetchers'>) => boolean;
  };
}

export const FETCHER_CATALOGUE = [
  { name: 'USB', defaultPriority: 0 },
  { name: 'Mgmt4', defaultPriority: 1 },
  { name: 'Mgmt6', defaultPriority: 2 },
  { name: 'DPort4', defaultPriority: 3 },
  { name: 'DPort6', defaultPriority: 4 },
  // RFC 8572 §9.7 (C-180): local sources (DHCP, DNS) before remote ones.
  {
    name: 'DNS',
    defaultPriority: 5,
    enabledWhen: {
      description: 'when [DNS] domains or servers is set, or mdns is True',
      test: (c) => c.dns.mdns || c.dns.domains.length > 0 || c.dns.servers.length > 0,
    },
  },
  {
    name: 'Server',
    defaultPriority: 6,
    enabledWhen: { description: 'when [Bootstrap] servers is set', test: (c) => c.bootstrap.servers.length > 0 },
  },
] as const satisfies readonly FetcherRow[];

/** Fetcher names as written in `[Fetcher Priority]`. */
export type FetcherName = (typeof FETCHER_CATALOGUE)[number]['name'];

const ROWS: readonly (FetcherRow & { readonly name: FetcherName })[] = FETCHER_CATALOGUE;

export const FETCHER_NAMES: readonly FetcherName[] = ROWS.map((r) => r.name);

/** Rows enabled regardless of the other settings, and rows enabled on a condition. */
export const FETCHER_DEFAULTS = {
  always: ROWS.filter((r) => r.enabledWhen === undefined),
  conditional: ROWS.filter((r) => r.enabledWhen !== undefined),
};

/** The fetchers enabled without `[Fetcher Priority]`, in default priority order (ties in catalogue order). */
export function defaultFetchers(config: Omit<AgentConfig, 'fetchers'>): FetcherName[] {
  return ROWS.filter((r) => r.enabledWhen?.test(config) ?? true)
    .sort((a, b) => a.defaultPriority - b.defaultPriority)
    .map((r) => r.name);
}
