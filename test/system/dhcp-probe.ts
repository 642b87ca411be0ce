/**
 * Runs one DHCP fetcher inside the client namespace (spawned by the system tests as
 * `ip netns exec <ns> node --import tsx test/system/dhcp-probe.ts '<json>'`). The bootstrap
 * client is a recorder: it captures the redirect information it is given and the interface's
 * addresses at that moment, then returns a dummy source. The probe then calls `release()` and
 * records the addresses again. Prints one JSON line on stdout.
 * @module
 */
import { execFileSync } from 'node:child_process';
import pino from 'pino';
import { createDhcpFetcher, type DhcpFetcherName } from '../../src/fetchers/dhcp.ts';
import type { AgentConfig } from '../../src/config/types.ts';
import type { FetchContext, OnboardingSource } from '../../src/contracts/fetch.ts';
import type { RedirectInformation } from '../../src/types.ts';

interface ProbeInput {
  readonly fetcher: DhcpFetcherName;
  readonly mgmt?: string;
  readonly dport?: readonly string[];
  readonly timeoutSeconds: number;
  readonly source?: 'client' | 'lease-file' | 'hook' | 'networkd';
  readonly leaseFiles?: readonly string[];
  readonly dhclientConf?: readonly string[];
  readonly networkdLeases?: readonly string[];
  readonly networkdOption?: number;
  readonly hookDir?: string;
  /** Interface whose addresses and routes are recorded (default: mgmt or first dport). */
  readonly watch?: string;
}

const input = JSON.parse(process.argv[2] ?? '{}') as ProbeInput;
const log = pino({ level: process.env['PROBE_LOG'] ?? 'silent' }, pino.destination(2));
const ifname = input.watch ?? input.mgmt ?? input.dport?.[0] ?? 'lo';
const addrs = (): string[] =>
  (
    JSON.parse(execFileSync('ip', ['-j', 'addr', 'show', 'dev', ifname], { encoding: 'utf8' })) as {
      addr_info: { local: string; prefixlen: number; scope: string }[];
    }[]
  ).flatMap((l) => l.addr_info.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`));
const routes = (): string[] =>
  ['-4', '-6']
    .flatMap((fam) => execFileSync('ip', [fam, 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).split('\n'))
    .filter((l) => l.includes(ifname) && !/^(local|broadcast|multicast|fe80|anycast)/.test(l));

const config = {
  interfaces: { mgmt: input.mgmt, dport: input.dport ?? [] },
  dhcp: {
    source: input.source ?? 'client',
    timeoutSeconds: input.timeoutSeconds,
    leaseFiles: input.leaseFiles ?? [],
    hookDir: input.hookDir ?? '/nonexistent',
    dhclientConf: input.dhclientConf ?? [],
    networkdLeases: input.networkdLeases ?? [],
    networkdOption: input.networkdOption,
  },
} as unknown as AgentConfig;

const seen: {
  redirect?: RedirectInformation;
  trusted?: boolean;
  addrsDuring?: string[];
  routesDuring?: string[];
  origin?: unknown;
} = {};
const ctx = {
  config,
  log,
  signal: new AbortController().signal,
  identity: { serialNumber: 'SN-PROBE-1' },
  now: () => new Date(),
  bootstrap: {
    followRedirect(
      redirect: RedirectInformation,
      trusted: boolean,
      _ctx: FetchContext,
      origin: unknown,
    ): Promise<OnboardingSource> {
      Object.assign(seen, { redirect, trusted, origin, addrsDuring: addrs(), routesDuring: routes() });
      return Promise.resolve({
        fetcher: input.fetcher,
        description: 'probe',
        info: {} as OnboardingSource['info'],
        reporter: {} as OnboardingSource['reporter'],
        trustedServer: false,
      });
    },
  },
} as unknown as FetchContext;

const before = { addrs: addrs(), routes: routes() };
const started = Date.now();
try {
  const source = await createDhcpFetcher(input.fetcher).fetch(ctx);
  await source.release?.();
  console.log(
    JSON.stringify({ ok: true, ms: Date.now() - started, before, ...seen, addrsAfter: addrs(), routesAfter: routes() }),
  );
} catch (err) {
  const e = err as { code?: string; message?: string };
  console.log(
    JSON.stringify({
      ok: false,
      ms: Date.now() - started,
      code: e.code,
      message: e.message,
      before,
      ...seen,
      addrsAfter: addrs(),
      routesAfter: routes(),
    }),
  );
}
