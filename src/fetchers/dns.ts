/**
 * The DNS fetcher (RFC 8572 §4.2), in the RFC's order:
 * 1. device-specific records (C-028, C-030): TXT `<serial>._sztp.local.` by multicast DNS on each
 *    `[Interfaces] Mgmt`/`DPort` interface (`[DNS] mdns`), then TXT `<serial>._sztp.<domain>.` by
 *    unicast DNS for each domain (C-029). The `ci`/`oc`/`ov` pairs (../dns/txt.ts, C-032) are
 *    validated with no nonce and admitted by `admit(info, 'dns')` (src/validation/admit.ts): DNS is
 *    untrusted even with DNSSEC (C-027), so signed onboarding information is applied, unsigned is
 *    refused (SZTP_ERR_CONVEYED_UNSIGNED), signed redirect information is followed with its
 *    anchors, unsigned redirect information provisionally;
 * 2. only when that led to no successful bootstrap (C-028): the device-independent SRV records
 *    `_sztp._tcp.local.` (mDNS), then `_sztp._tcp.<domain>.` (unicast), each set an unsigned redirect
 *    list in RFC 2782 order (C-031, ../dns/srv.ts), followed provisionally with anchors discarded.
 *
 * After a failed onboarding the walk continues with the next record, then the next lookup (C-114,
 * the source's `next`). Every question has the `[DNS] timeout_seconds` deadline and ends on abort.
 * Names and strings from DNS are logged through `inert` only.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { SztpError, toSztpError } from '../errors.ts';
import { DNS_RCODE, DNS_TYPE, checkName, recordsFor, sameName, type DnsMessage } from '../dns/codec.ts';
import { isOnLink, queryAddress, type LinkAddress } from '../dns/link.ts';
import { queryMdns, queryUnicast, type MdnsQuery, type UnicastQuery } from '../dns/query.ts';
import { parseResolvConf, parseServer } from '../dns/resolv-conf.ts';
import { orderSrv, srvServers } from '../dns/srv.ts';
import { decodeSztpTxt } from '../dns/txt.ts';
import type { Fetcher, FetchContext, OnboardingSource } from '../contracts/fetch.ts';
import { inert } from '../lib/inert-text.ts';
import { firstOf, sourcesFrom } from '../lib/source-sequence.ts';
import { NULL_REPORTER } from '../progress/reporter.ts';
import { admit } from '../validation/admit.ts';

/** Everything with side effects, replaceable in tests. */
export interface DnsFetcherDeps {
  readonly queryUnicast: (q: UnicastQuery) => Promise<DnsMessage>;
  readonly queryMdns: (q: MdnsQuery) => Promise<DnsMessage>;
  readonly readText: (path: string) => Promise<string>;
  readonly interfaceAddresses: (ifname: string) => readonly LinkAddress[] | undefined;
  readonly random: () => number;
}

const DEFAULT_DEPS: DnsFetcherDeps = {
  queryUnicast,
  queryMdns,
  readText: (path) => readFile(path, 'utf8'),
  interfaceAddresses: (ifname) =>
    networkInterfaces()[ifname]?.map((a) => ({
      family: a.family,
      address: a.address,
      prefix: Number(a.cidr?.split('/')[1] ?? (a.family === 'IPv4' ? 32 : 128)),
    })),
  random: Math.random,
};

/** One question of the walk: over mDNS on an interface, or unicast under a domain. */
interface Lookup {
  readonly description: string;
  readonly name: string;
  readonly ask: (type: number) => Promise<DnsMessage>;
}

/** How far an attempt got: silence < a negative answer < a malformed record < refused data or a failed bootstrap. */
function progress(e: SztpError): number {
  if (e.code === 'SZTP_ERR_DNS_TIMEOUT' || e.code === 'SZTP_ERR_DNS_SOCKET') return 0;
  if (e.code === 'SZTP_ERR_DNS_NO_RECORD' || e.code === 'SZTP_ERR_DNS_SERVER') return 1;
  return e.stage === 'dns' ? 2 : 3;
}

export function createDnsFetcher(overrides: Partial<DnsFetcherDeps> = {}): Fetcher {
  const deps: DnsFetcherDeps = { ...DEFAULT_DEPS, ...overrides };
  return {
    name: 'DNS',
    async fetch(ctx: FetchContext): Promise<OnboardingSource> {
      return firstOf(walk(ctx, deps), 'DNS');
    },
  };
}

/** Resolver settings: `[DNS]` servers and domains, else those of resolv.conf. */
async function resolver(
  ctx: FetchContext,
  deps: DnsFetcherDeps,
): Promise<{ servers: { host: string; port: number }[]; domains: readonly string[] }> {
  const { dns } = ctx.config;
  let conf = { servers: [] as readonly string[], domains: [] as readonly string[] };
  if (dns.servers.length === 0 || dns.domains.length === 0) {
    try {
      conf = parseResolvConf(await deps.readText(dns.resolvConf));
    } catch (err) {
      ctx.log.debug({ fetcher: 'DNS', file: dns.resolvConf, err: String(err) }, 'dns: resolver file not readable');
    }
  }
  const servers: { host: string; port: number }[] = [];
  for (const text of dns.servers.length > 0 ? dns.servers : conf.servers) {
    const s = parseServer(text);
    if (s === undefined) ctx.log.warn({ fetcher: 'DNS', server: inert(text) }, 'dns: server ignored (not host[:port])');
    else servers.push(s);
  }
  // `example.com.` and `example.com` name the same domain: the query names add the root themselves.
  return { servers, domains: (dns.domains.length > 0 ? dns.domains : conf.domains).map((d) => d.replace(/\.$/, '')) };
}

/** The lookups in RFC 8572 §4.2.1 order for one record kind: mDNS per interface, then unicast per domain. */
async function lookups(ctx: FetchContext, deps: DnsFetcherDeps, label: string): Promise<Lookup[]> {
  const out: Lookup[] = [];
  const timeoutMs = ctx.config.dns.timeoutSeconds * 1000;
  const ignored =
    (where: string) =>
    (why: string): void => {
      ctx.log.debug({ fetcher: 'DNS', where, why: inert(why) }, 'dns: reply ignored');
    };
  if (ctx.config.dns.mdns) {
    const ifaces = [
      ...(ctx.config.interfaces.mgmt === undefined ? [] : [ctx.config.interfaces.mgmt]),
      ...ctx.config.interfaces.dport,
    ];
    if (ifaces.length === 0)
      ctx.log.info(
        { fetcher: 'DNS' },
        'dns: mdns is on but no [Interfaces] Mgmt or DPort is configured; skipping multicast DNS',
      );
    for (const ifname of ifaces) {
      const name = `${label}.local`;
      out.push({
        description: `mdns:${ifname}`,
        name,
        ask: (type) => askMdns(deps, ifname, name, type, Date.now() + timeoutMs, ctx.signal, ignored(`mdns:${ifname}`)),
      });
    }
  }
  const { servers, domains } = await resolver(ctx, deps);
  if (domains.length > 0 && servers.length === 0)
    ctx.log.info(
      { fetcher: 'DNS' },
      'dns: no unicast DNS server known (neither [DNS] servers nor resolv_conf); skipping unicast DNS',
    );
  for (const domain of servers.length === 0 ? [] : domains) {
    const name = `${label}.${domain}`;
    out.push({
      description: `dns:${name}`,
      name,
      ask: (type) => askUnicast(deps, servers, name, type, timeoutMs, ctx.signal, ignored(`dns:${name}`)),
    });
  }
  return out;
}

/** mDNS on one interface, IPv4 and IPv6 at once: the first family with an answer wins. */
async function askMdns(
  deps: DnsFetcherDeps,
  ifname: string,
  name: string,
  type: number,
  deadline: number,
  signal: AbortSignal,
  onIgnored: (why: string) => void,
): Promise<DnsMessage> {
  const addrs = deps.interfaceAddresses(ifname);
  // os.networkInterfaces() lists only interfaces that are up with a carrier: at boot the link may
  // just not be ready yet, and the next pass asks again.
  if (addrs === undefined)
    throw new SztpError(
      'SZTP_ERR_DNS_SOCKET',
      `mDNS: interface ${ifname} does not exist or is not running (no carrier)`,
    );
  const onLink = (source: string): boolean => {
    const scope = /%(.*)$/.exec(source)?.[1];
    return (scope === undefined || scope === ifname) && isOnLink(addrs, source);
  };
  // The family that loses the race is stopped at once, not left waiting until the deadline.
  const race = new AbortController();
  const both = AbortSignal.any([signal, race.signal]);
  const families = ([4, 6] as const).flatMap((family) => {
    const localAddress = queryAddress(addrs, family);
    return localAddress === undefined
      ? []
      : [deps.queryMdns({ ifname, family, localAddress, onLink, name, type, deadline, signal: both, onIgnored })];
  });
  if (families.length === 0)
    throw new SztpError('SZTP_ERR_DNS_SOCKET', `mDNS: interface ${ifname} has no IPv4 or IPv6 link-local address`);
  try {
    const first = await Promise.any(families);
    race.abort();
    return first;
  } catch (err) {
    const errors = err instanceof AggregateError ? (err.errors as unknown[]) : [err];
    const coded = errors.map((e) => toSztpError(e, 'SZTP_ERR_DNS_SOCKET'));
    throw (
      coded.find((e) => e.code === 'SZTP_ERR_ABORTED') ??
      coded.find((e) => e.code !== 'SZTP_ERR_DNS_TIMEOUT') ??
      coded[0] ??
      new SztpError('SZTP_ERR_DNS_TIMEOUT', `mDNS on ${ifname}: no answer`)
    );
  }
}

/** Unicast: each server in turn until one answers (NOERROR or NXDOMAIN). */
async function askUnicast(
  deps: DnsFetcherDeps,
  servers: readonly { host: string; port: number }[],
  name: string,
  type: number,
  timeoutMs: number,
  signal: AbortSignal,
  onIgnored: (why: string) => void,
): Promise<DnsMessage> {
  let last: SztpError | undefined;
  for (const server of servers) {
    try {
      const m = await deps.queryUnicast({ server, name, type, deadline: Date.now() + timeoutMs, signal, onIgnored });
      if (m.rcode === DNS_RCODE.NOERROR || m.rcode === DNS_RCODE.NXDOMAIN) return m;
      last = new SztpError(
        'SZTP_ERR_DNS_SERVER',
        `DNS server ${server.host}:${server.port} answered rcode ${m.rcode} for ${inert(name)}`,
      );
    } catch (err) {
      last = toSztpError(err, 'SZTP_ERR_DNS_SOCKET');
      if (last.code === 'SZTP_ERR_ABORTED') throw last;
    }
  }
  throw last ?? new SztpError('SZTP_ERR_DNS_SERVER', 'no DNS server');
}

/** Step 1 then step 2, keeping the error that got furthest. */
async function* walk(ctx: FetchContext, deps: DnsFetcherDeps): AsyncGenerator<OnboardingSource, void, undefined> {
  const log = ctx.log.child({ fetcher: 'DNS' });
  let best: SztpError | undefined;
  const note = (where: string, err: unknown): void => {
    const e = toSztpError(err, 'SZTP_ERR_DNS_DECODE');
    if (e.code === 'SZTP_ERR_ABORTED') throw e;
    log.info({ where, code: e.code, err: e.toJSON() }, 'dns: lookup gave no (further) onboarding information');
    if (best === undefined || progress(e) > progress(best)) best = e;
  };
  const serial = ctx.identity.serialNumber;
  let serialUsable = !serial.includes('.');
  try {
    if (serialUsable) checkName(`${serial}._sztp.local`);
  } catch {
    serialUsable = false;
  }
  if (serialUsable) {
    for (const l of await lookups(ctx, deps, `${serial}._sztp`)) {
      try {
        yield* deviceSpecific(ctx, l);
      } catch (err) {
        note(l.description, err);
      }
    }
  } else {
    note(
      'serial',
      new SztpError(
        'SZTP_ERR_DNS_NAME',
        `serial number ${inert(serial)} is not one DNS label; device-specific records skipped`,
      ),
    );
  }
  for (const l of await lookups(ctx, deps, '_sztp._tcp')) {
    try {
      yield* deviceIndependent(ctx, deps, l);
    } catch (err) {
      note(l.description, err);
    }
  }
  throw (
    best ??
    new SztpError(
      'SZTP_ERR_DNS_NO_RECORD',
      'DNS: nothing to ask (set [DNS] mdns with [Interfaces], or [DNS] domains and servers)',
    )
  );
}

/** The records of `type` answering `name`, or SZTP_ERR_DNS_NO_RECORD. */
async function answer(
  ctx: FetchContext,
  l: Lookup,
  type: number,
): Promise<{ message: DnsMessage; records: ReturnType<typeof recordsFor> }> {
  ctx.log.info(
    { fetcher: 'DNS', source: l.description, name: inert(l.name), type: type === DNS_TYPE.TXT ? 'TXT' : 'SRV' },
    'dns: asking',
  );
  const message = await l.ask(type);
  const records = recordsFor(message.answers, l.name, type);
  if (records.length === 0)
    throw new SztpError(
      'SZTP_ERR_DNS_NO_RECORD',
      `${l.description}: no ${type === DNS_TYPE.TXT ? 'TXT' : 'SRV'} record`,
    );
  return { message, records };
}

/** Step 1 (C-030, C-032): the TXT record's artifacts, validated and admitted. */
async function* deviceSpecific(ctx: FetchContext, l: Lookup): AsyncGenerator<OnboardingSource, void, undefined> {
  const { records } = await answer(ctx, l, DNS_TYPE.TXT);
  const artifacts = decodeSztpTxt(records.map((r) => r.txt ?? []));
  const ci = artifacts.conveyedInformation;
  if (ci === undefined) throw new SztpError('SZTP_ERR_DNS_TXT', `${l.description}: TXT record without a ci key`);
  ctx.log.info(
    {
      fetcher: 'DNS',
      source: l.description,
      signed: artifacts.ownershipVoucher !== undefined || artifacts.ownerCertificate !== undefined,
    },
    'dns: device-specific TXT record found',
  );
  const info = await ctx.validate({ ...artifacts, conveyedInformation: ci }, ctx.trustContext(undefined));
  const admission = admit(info, 'dns');
  if (admission.kind === 'refuse') throw new SztpError(admission.code, `${l.description}: ${admission.reason}`);
  if (info.kind === 'redirect-information') {
    const keep = admission.kind === 'follow' && admission.keepTrustAnchors;
    ctx.log.info(
      { fetcher: 'DNS', source: l.description, trusted: keep },
      'dns: redirect information in the TXT record: following it',
    );
    yield* sourcesFrom(
      await ctx.bootstrap.followRedirect(info.redirect, keep, ctx, { fetcher: 'DNS', description: l.description }),
    );
    return;
  }
  yield { fetcher: 'DNS', description: l.description, info, reporter: NULL_REPORTER, trustedServer: false };
}

/** A host name or address as a redirect `address`: letters, digits, '-', '_', '.', ':' only. */
const SAFE_HOST = /^[A-Za-z0-9_.:-]{1,253}$/;

/** Step 2 (C-031, C-033): the SRV set as an unsigned redirect list. */
async function* deviceIndependent(
  ctx: FetchContext,
  deps: DnsFetcherDeps,
  l: Lookup,
): AsyncGenerator<OnboardingSource, void, undefined> {
  const { message, records } = await answer(ctx, l, DNS_TYPE.SRV);
  const ordered = orderSrv(
    records.flatMap((r) => (r.srv === undefined ? [] : [r.srv])),
    deps.random,
  );
  const usable = ordered.filter((r) => {
    if (SAFE_HOST.test(r.target)) return true;
    ctx.log.warn(
      { fetcher: 'DNS', source: l.description, target: inert(r.target) },
      'dns: SRV target is not a host name; ignored',
    );
    return false;
  });
  const additional = [...message.answers, ...message.additionals];
  const servers = srvServers(usable, (target) =>
    additional
      .filter(
        (r) =>
          (r.type === DNS_TYPE.A || r.type === DNS_TYPE.AAAA) && sameName(r.name, target) && r.address !== undefined,
      )
      .map((r) => r.address ?? ''),
  );
  if (servers.length === 0)
    throw new SztpError('SZTP_ERR_DNS_NO_RECORD', `${l.description}: the SRV set names no usable bootstrap server`);
  const admission = admit({ kind: 'redirect-information', signed: false }, 'dns');
  if (admission.kind === 'refuse') throw new SztpError(admission.code, `${l.description}: ${admission.reason}`);
  ctx.log.info(
    { fetcher: 'DNS', source: l.description, servers },
    'dns: following the SRV records as an untrusted redirect',
  );
  const first = await ctx.bootstrap.followRedirect(
    { bootstrapServers: servers },
    admission.kind === 'follow' && admission.keepTrustAnchors,
    ctx,
    { fetcher: 'DNS', description: l.description },
  );
  yield* sourcesFrom(first);
}
