/**
 * The DHCP fetchers (RFC 8572 §4.3, §8): `Mgmt4`/`Mgmt6` on `[Interfaces] Mgmt`, `DPort4`/`DPort6`
 * on each `[Interfaces] DPort` in order. The redirect option (143 / 136) comes from our own client
 * (`[DHCP] source = client`), dhclient lease files (`lease-file`) or a hook script's environment
 * (`hook`). Its URIs become ONE untrusted RedirectInformation, in option order (port default 443,
 * no IPv6 brackets), followed through `ctx.bootstrap` as `admit(…, 'dhcp')` decides: provisional
 * TLS, only signed onboarding information is accepted (RFC 8572 §5.5, §9.6). The URI list is parsed strictly
 * per §8 unless `[DHCP] accept_nonconforming_uris` is on. After a failed onboarding the walk
 * continues, then the next interface (C-114; the source's `next`).
 *
 * When our client obtained a lease, the address (and default route) are configured so the
 * bootstrap server is reachable; the returned source's `release` removes them after onboarding
 * and on failure they are removed before the error is rethrown. An interface that is
 * administratively down is brought up first and set down again with them (../dhcp/link-state.ts).
 * Each of these changes, and the temporary limited-broadcast route, is recorded in
 * `ctx.networkJournal` before it is made, so what a killed agent left is undone on the next start.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SztpError, isSztpError, toSztpError } from '../errors.ts';
import {
  addLimitedBroadcastRoute,
  configureLease,
  createNetworkChanges,
  execIp,
  type IpRunner,
  type NetworkChanges,
} from '../dhcp/address.ts';
import { runDhcp4 } from '../dhcp/client-v4.ts';
import { releaseDhcp4 } from '../dhcp/release-v4.ts';
import { releaseDhcp6 } from '../dhcp/release-v6.ts';
import { runDhcp6 } from '../dhcp/client-v6.ts';
import { readRedirectFromHook } from '../dhcp/hook-env.ts';
import { globalIpv6, linkLocalIpv6, readInterface, usableIpv4, type InterfaceState } from '../dhcp/interfaces.ts';
import { readRedirectFromLeaseFiles } from '../dhcp/lease-file.ts';
import { bringLinkUp, readAdminUp, waitUsable } from '../dhcp/link-state.ts';
import { readRedirectFromNetworkd } from '../dhcp/networkd-lease.ts';
import { parseUriList, type RedirectUri } from '../dhcp/uri-list.ts';
import { SZTP_REDIRECT_OPTION } from '../dhcp/constants.ts';
import type { Fetcher, FetchContext, OnboardingSource } from '../contracts/fetch.ts';
import { firstOf, sourcesFrom } from '../lib/source-sequence.ts';
import { admit } from '../validation/admit.ts';

export type DhcpFetcherName = 'Mgmt4' | 'Mgmt6' | 'DPort4' | 'DPort6';

/** Everything with side effects, replaceable in tests. */
export interface DhcpFetcherDeps {
  readonly readInterface: (name: string) => Promise<InterfaceState>;
  /** Administrative state (true up, false down, undefined missing); a down interface is brought up. */
  readonly readAdminUp: (name: string) => Promise<boolean | undefined>;
  /** How long a link just brought up may take to become usable (ms, capped by the DHCP timeout). */
  readonly linkUpWaitMs: number;
  readonly runDhcp4: typeof runDhcp4;
  /** Best-effort DHCPRELEASE of a lease our client obtained (never throws). */
  readonly releaseDhcp4: typeof releaseDhcp4;
  /** Best-effort DHCPv6 Release of an address our client obtained (never throws). */
  readonly releaseDhcp6: typeof releaseDhcp6;
  readonly runDhcp6: typeof runDhcp6;
  readonly ip: IpRunner;
  readonly readLeaseFiles: typeof readRedirectFromLeaseFiles;
  readonly readHook: typeof readRedirectFromHook;
  readonly readNetworkd: typeof readRedirectFromNetworkd;
  /** How long to wait for an IPv6 link-local address to finish DAD (ms, capped by the DHCP timeout). */
  readonly linkLocalWaitMs: number;
}

const DEFAULT_DEPS: DhcpFetcherDeps = {
  readInterface: (name) => readInterface(name),
  readAdminUp: (name) => readAdminUp(name),
  linkUpWaitMs: 5000,
  runDhcp4,
  releaseDhcp4,
  runDhcp6,
  releaseDhcp6,
  ip: execIp,
  readLeaseFiles: readRedirectFromLeaseFiles,
  readHook: readRedirectFromHook,
  readNetworkd: readRedirectFromNetworkd,
  linkLocalWaitMs: 5000,
};

interface Obtained {
  readonly uris: readonly RedirectUri[];
  readonly changes: NetworkChanges;
  /** Runs before the changes are undone (DHCPRELEASE while the address still exists). */
  readonly beforeUndo?: () => Promise<void>;
}

/** How far an attempt got: interface < DHCP exchange < option < bootstrap server and beyond. */
function progress(e: SztpError): number {
  if (e.code === 'SZTP_ERR_DHCP_INTERFACE') return 0;
  if (e.code === 'SZTP_ERR_DHCP_NO_OPTION') return 2;
  return e.stage === 'dhcp' ? 1 : 3;
}

/** One fetch of one DHCP fetcher: what every step below needs. */
interface Attempt {
  readonly name: DhcpFetcherName;
  readonly family: 4 | 6;
  readonly deps: DhcpFetcherDeps;
  readonly ctx: FetchContext;
}

export function createDhcpFetcher(name: DhcpFetcherName, overrides: Partial<DhcpFetcherDeps> = {}): Fetcher {
  const deps: DhcpFetcherDeps = { ...DEFAULT_DEPS, ...overrides };
  const family: 4 | 6 = name.endsWith('4') ? 4 : 6;
  return {
    name,
    async fetch(ctx: FetchContext): Promise<OnboardingSource> {
      const ifaces = name.startsWith('Mgmt')
        ? ctx.config.interfaces.mgmt === undefined
          ? []
          : [ctx.config.interfaces.mgmt]
        : [...ctx.config.interfaces.dport];
      if (ifaces.length === 0) {
        throw new SztpError(
          'SZTP_ERR_DHCP_INTERFACE',
          `${name}: no interface configured in [Interfaces] ${name.startsWith('Mgmt') ? 'Mgmt' : 'DPort'}`,
        );
      }
      return firstOf(acrossInterfaces({ name, family, deps, ctx }, ifaces), name);
    },
  };
}

/**
 * Every interface in order; on each, the sources of its redirect walk (RFC 8572 §5.6, C-114:
 * after a failed onboarding the next server, then the next interface). With several data
 * ports, the error that got furthest is reported (e.g. a refused bootstrap server on the first
 * port rather than a missing second port).
 */
async function* acrossInterfaces(
  a: Attempt,
  ifaces: readonly string[],
): AsyncGenerator<OnboardingSource, void, undefined> {
  let best: SztpError | undefined;
  for (const ifname of ifaces) {
    try {
      yield* sourcesOn(a, ifname);
    } catch (err) {
      const e = toSztpError(err, 'SZTP_ERR_DHCP_SOCKET');
      a.ctx.log.warn(
        { fetcher: a.name, interface: ifname, err: e.toJSON() },
        'dhcp: interface gave no (further) onboarding information',
      );
      if (e.code === 'SZTP_ERR_ABORTED') throw e;
      if (best === undefined || progress(e) > progress(best)) best = e;
    }
  }
  throw best ?? new SztpError('SZTP_ERR_DHCP_INTERFACE', `${a.name}: no interface`);
}

/** The sources of one interface; its network changes are undone when they run out (or by the daemon's release). */
async function* sourcesOn(a: Attempt, ifname: string): AsyncGenerator<OnboardingSource, void, undefined> {
  const { ctx } = a;
  const { uris, changes, beforeUndo } = await obtain(a, ifname);
  let undone = false;
  const undo = async (): Promise<void> => {
    if (undone) return;
    undone = true;
    try {
      await beforeUndo?.();
    } finally {
      await removeQuietly(ctx, changes);
    }
  };
  const description = `dhcp${a.family === 4 ? 'v4' : 'v6'}:${ifname}`;
  ctx.log.info(
    { fetcher: a.name, interface: ifname, uris: uris.map((u) => u.uri) },
    'dhcp: following untrusted redirect',
  );
  let handedOut = false;
  try {
    const admission = admit({ kind: 'redirect-information', signed: false }, 'dhcp');
    const first = await ctx.bootstrap.followRedirect(
      { bootstrapServers: uris.map((u) => ({ address: u.host, port: u.port })) },
      admission.kind === 'follow' && admission.keepTrustAnchors,
      ctx,
      { fetcher: a.name, description },
    );
    for await (const source of sourcesFrom(first)) {
      const inner = source.release;
      handedOut = true;
      yield {
        ...source,
        release: async () => {
          try {
            await inner?.();
          } finally {
            await undo();
          }
        },
      };
      handedOut = false;
    }
  } finally {
    if (!handedOut) await undo();
  }
}

/** The redirect URIs of one interface, from the configured source (our client, lease files, networkd or a hook). */
async function obtain(a: Attempt, ifname: string): Promise<Obtained> {
  const { ctx, deps, family } = a;
  const changes = createNetworkChanges(deps.ip, ctx.log, ctx.networkJournal);
  const source = ctx.config.dhcp.source;
  if (source !== 'client') {
    // Another DHCP client owns the interface: it is only checked, never changed.
    await deps.readInterface(ifname);
    const { dhcp } = ctx.config;
    const got =
      source === 'lease-file'
        ? await deps.readLeaseFiles(dhcp.leaseFiles, ifname, family, dhcp.dhclientConf)
        : source === 'networkd'
          ? await deps.readNetworkd(dhcp.networkdLeases, ifname, family, dhcp.networkdOption)
          : await deps.readHook(dhcp.hookDir, ifname, family);
    ctx.log.info(
      { interface: ifname, file: got.file },
      `dhcp: option ${SZTP_REDIRECT_OPTION[family]} read from ${source}`,
    );
    return { uris: parse(a, got.value, ifname), changes };
  }
  try {
    const state = await usableInterface(a, ifname, changes);
    return family === 4 ? await client4(a, state, changes) : await client6(a, state, changes);
  } catch (err) {
    await removeQuietly(ctx, changes);
    throw err;
  }
}

/** Brings an administratively down interface up (undone with `changes`) and waits for its carrier. */
async function usableInterface(a: Attempt, ifname: string, changes: NetworkChanges): Promise<InterfaceState> {
  const { ctx, deps } = a;
  const waitMs = Math.min(deps.linkUpWaitMs, ctx.config.dhcp.timeoutSeconds * 1000);
  const adminUp = await deps.readAdminUp(ifname);
  if (adminUp === undefined) return deps.readInterface(ifname);
  if (!adminUp) {
    ctx.log.info(
      { interface: ifname },
      'dhcp: interface is down; bringing it up for the DHCP client (set down again afterwards)',
    );
    await bringLinkUp(changes, ifname);
  }
  // Up (by us or by init a moment ago) but perhaps without carrier yet: wait for it, bounded.
  return waitUsable(() => deps.readInterface(ifname), waitMs, ctx.signal);
}

/** DHCPINFORM with an address already held, else DISCOVER/REQUEST and the leased address configured. */
async function client4(a: Attempt, state: InterfaceState, changes: NetworkChanges): Promise<Obtained> {
  const { ctx, deps } = a;
  const timeoutMs = ctx.config.dhcp.timeoutSeconds * 1000;
  const held = usableIpv4(state);
  const common = {
    ifname: state.name,
    mac: state.mac,
    serialNumber: ctx.identity.serialNumber,
    timeoutMs,
    log: ctx.log,
    signal: ctx.signal,
  };
  if (held !== undefined) {
    const r = await deps.runDhcp4({ ...common, inform: held });
    return { uris: parse(a, r.redirect, state.name), changes };
  }
  const route = createNetworkChanges(deps.ip, ctx.log, ctx.networkJournal);
  let r: Awaited<ReturnType<typeof runDhcp4>>;
  try {
    await addLimitedBroadcastRoute(route, state.name);
    r = await deps.runDhcp4(common);
  } finally {
    await removeQuietly(ctx, route);
  }
  const uris = parse(a, r.redirect, state.name);
  const lease = r.lease;
  if (lease === undefined) return { uris, changes };
  ctx.log.info({ interface: state.name, lease, dnsServers: r.dnsServers }, 'dhcp4: configuring leased address');
  await configureLease(changes, { family: 4, ifname: state.name, ...lease });
  return {
    uris,
    changes,
    beforeUndo: () =>
      deps.releaseDhcp4({ lease, mac: state.mac, serialNumber: ctx.identity.serialNumber, log: ctx.log }),
  };
}

/** Waits for a link-local address, then stateless (a global address is held) or stateful DHCPv6. */
async function client6(a: Attempt, initial: InterfaceState, changes: NetworkChanges): Promise<Obtained> {
  const { ctx, deps } = a;
  const timeoutMs = ctx.config.dhcp.timeoutSeconds * 1000;
  let state = initial;
  const waitUntil = Date.now() + Math.min(deps.linkLocalWaitMs, timeoutMs);
  while (linkLocalIpv6(state) === undefined && Date.now() < waitUntil) {
    await sleep(200, undefined, { signal: ctx.signal }).catch(() => undefined);
    if (ctx.signal.aborted)
      throw new SztpError('SZTP_ERR_ABORTED', 'aborted while waiting for an IPv6 link-local address', {
        stage: 'dhcp',
      });
    state = await deps.readInterface(state.name);
  }
  if (linkLocalIpv6(state) === undefined) {
    throw new SztpError('SZTP_ERR_DHCP_INTERFACE', `interface ${state.name} has no usable IPv6 link-local address`, {
      evidence: { interface: state.name },
    });
  }
  const stateless = globalIpv6(state) !== undefined;
  const r = await deps.runDhcp6({
    ifname: state.name,
    mac: state.mac,
    stateless,
    timeoutMs,
    log: ctx.log,
    signal: ctx.signal,
  });
  const uris = parse(a, r.redirect, state.name);
  const lease = r.lease;
  if (lease === undefined) return { uris, changes };
  ctx.log.info(
    { interface: state.name, address: lease.address, validLifetime: lease.validLifetime, dnsServers: r.dnsServers },
    'dhcp6: configuring leased address',
  );
  await configureLease(changes, {
    family: 6,
    ifname: state.name,
    address: lease.address,
    prefixLength: lease.prefixLength,
    routers: [],
  });
  return {
    uris,
    changes,
    beforeUndo: () => deps.releaseDhcp6({ ifname: state.name, lease, mac: state.mac, log: ctx.log }),
  };
}

/** The URIs of the redirect option, parsed strictly per §8 unless configured otherwise; its absence is SZTP_ERR_DHCP_NO_OPTION. */
function parse(a: Attempt, value: Uint8Array | undefined, ifname: string): readonly RedirectUri[] {
  const option = SZTP_REDIRECT_OPTION[a.family];
  if (value === undefined) {
    throw new SztpError('SZTP_ERR_DHCP_NO_OPTION', `the DHCP reply on ${ifname} carried no option ${option}`, {
      evidence: { interface: ifname, option },
    });
  }
  const result = parseUriList(value, option, { acceptNonconforming: a.ctx.config.dhcp.acceptNonconformingUris });
  for (const w of result.warnings) a.ctx.log.warn({ interface: ifname }, `dhcp: ${w}`);
  for (const d of result.dropped)
    a.ctx.log.warn({ interface: ifname, uri: d.uri, reason: d.reason }, 'dhcp: redirect URI ignored');
  return result.uris;
}

async function removeQuietly(ctx: FetchContext, changes: NetworkChanges): Promise<void> {
  try {
    await changes.removeAll();
  } catch (err) {
    ctx.log.error({ err: isSztpError(err) ? err.toJSON() : String(err) }, 'dhcp: could not undo network changes');
  }
}
