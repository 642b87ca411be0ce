/**
 * The DHCP fetchers' logic with fake interfaces, fake DHCP clients, a fake `ip` and a recording
 * BootstrapClient: the redirect passed is untrusted, holds every valid URI in option order (port
 * default 443, no IPv6 brackets); leased addresses are configured, removed by `release` and on
 * failure; the broadcast route is gone before the redirect is followed; DPort tries interfaces
 * in order; coded errors for no option, only-http, missing interface; lease-file/hook sources;
 * an administratively down interface is brought up and set down again when the fetcher moves on.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { SztpError } from '../../../src/errors.ts';
import type { AgentConfig } from '../../../src/config/types.ts';
import type { IpRunner } from '../../../src/dhcp/address.ts';
import type { InterfaceState } from '../../../src/dhcp/interfaces.ts';
import { readAdminUp } from '../../../src/dhcp/link-state.ts';
import { encodeUriList } from '../../../src/dhcp/uri-list.ts';
import { createDhcpFetcher, type DhcpFetcherDeps } from '../../../src/fetchers/dhcp.ts';
import type { BootstrapClient, FetchContext, OnboardingSource } from '../../../src/contracts/fetch.ts';
import type { RedirectInformation } from '../../../src/types.ts';

const URIS = ['https://192.0.2.1:8443', 'http://192.0.2.9', 'https://[2001:db8::1]', 'https://sztp.example.test'];

function iface(name: string, v4: string[] = [], v6global = false): InterfaceState {
  return {
    name,
    operstate: 'up',
    mac: Uint8Array.of(2, 0, 0, 0, 0, 1),
    ipv4: v4.map((address) => ({ address, prefixLength: 24 })),
    ipv6: [
      { address: 'fe80::1', prefixLength: 64, scope: 'link', tentative: false },
      ...(v6global ? [{ address: '2001:db8::5', prefixLength: 64, scope: 'global' as const, tentative: false }] : []),
    ],
  };
}

interface Harness {
  ctx: FetchContext;
  ipCalls: string[];
  calls: {
    redirect: RedirectInformation;
    trusted: boolean;
    origin: { fetcher: string; description: string };
    ipAtCall: string[];
  }[];
  released: number;
}

function harness(
  config: Partial<{ mgmt: string; dport: string[]; source: 'client' | 'lease-file' | 'hook' | 'networkd' }>,
  follow?: () => Promise<void>,
): Harness {
  const h: Harness = { ipCalls: [], calls: [], released: 0, ctx: undefined as unknown as FetchContext };
  h.ctx = {
    config: {
      interfaces: { mgmt: config.mgmt, dport: config.dport ?? [] },
      dhcp: {
        source: config.source ?? 'client',
        timeoutSeconds: 2,
        leaseFiles: ['/x'],
        dhclientConf: [],
        networkdLeases: [],
        hookDir: '/h',
      },
    } as unknown as AgentConfig,
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    identity: { serialNumber: 'SN1' },
    now: () => new Date(),
    bootstrap: {
      async followRedirect(
        redirect: RedirectInformation,
        trusted: boolean,
        _ctx: FetchContext,
        origin: { fetcher: string; description: string },
      ) {
        h.calls.push({ redirect, trusted, origin, ipAtCall: [...h.ipCalls] });
        await follow?.();
        return {
          fetcher: origin.fetcher,
          description: 'x',
          trustedServer: false,
          release: () => {
            h.released++;
            return Promise.resolve();
          },
        } as unknown as OnboardingSource;
      },
    } satisfies BootstrapClient,
  } as unknown as FetchContext;
  return h;
}

function deps(h: Harness, over: Partial<DhcpFetcherDeps> = {}): Partial<DhcpFetcherDeps> {
  const ip: IpRunner = (argv) => {
    h.ipCalls.push(argv.join(' '));
    return Promise.resolve({ code: 0, stderr: '' });
  };
  return {
    ip,
    readAdminUp: (name) => Promise.resolve(name === 'eth0' || name === 'eth2' ? true : undefined),
    readInterface: (name) =>
      name === 'eth0' || name === 'eth2'
        ? Promise.resolve(iface(name))
        : Promise.reject(new SztpError('SZTP_ERR_DHCP_INTERFACE', `${name} missing`)),
    runDhcp4: () =>
      Promise.resolve({
        redirect: encodeUriList(URIS),
        dnsServers: [],
        domainName: undefined,
        reply: {} as never,
        lease: {
          address: '192.0.2.120',
          prefixLength: 24,
          routers: ['192.0.2.1'],
          serverId: '192.0.2.1',
          leaseSeconds: 60,
        },
      }),
    runDhcp6: (o) =>
      Promise.resolve({
        redirect: encodeUriList(['https://[2001:db8:1::1]:8443']),
        dnsServers: [],
        reply: {} as never,
        lease: o.stateless
          ? undefined
          : {
              address: '2001:db8:1::150',
              prefixLength: 128,
              validLifetime: 60,
              serverId: Uint8Array.of(0, 3),
              iaid: 1,
            },
      }),
    releaseDhcp4: (o) => {
      h.ipCalls.push(`DHCPRELEASE ${o.lease.address} to ${o.lease.serverId ?? '?'}`);
      return Promise.resolve();
    },
    releaseDhcp6: (o) => {
      h.ipCalls.push(`Release ${o.lease.address}`);
      return Promise.resolve();
    },
    ...over,
  };
}

describe('DHCP fetchers', () => {
  it('Mgmt4: one untrusted redirect with all valid URIs in order, address configured then released', async () => {
    const h = harness({ mgmt: 'eth0' });
    const src = await createDhcpFetcher('Mgmt4', deps(h)).fetch(h.ctx);
    assert.equal(h.calls.length, 1);
    const call = h.calls[0]!;
    assert.equal(call.trusted, false);
    assert.deepEqual(call.redirect, {
      bootstrapServers: [
        { address: '192.0.2.1', port: 8443 },
        { address: '2001:db8::1', port: 443 },
        { address: 'sztp.example.test', port: 443 },
      ],
    });
    assert.deepEqual(call.origin, { fetcher: 'Mgmt4', description: 'dhcpv4:eth0' });
    assert.deepEqual(call.ipAtCall, [
      '-4 route add 255.255.255.255/32 dev eth0',
      '-4 route del 255.255.255.255/32 dev eth0',
      '-4 addr add 192.0.2.120/24 dev eth0',
      '-4 route add default via 192.0.2.1 dev eth0',
    ]);
    await src.release?.();
    assert.equal(h.released, 1, 'inner release called');
    assert.deepEqual(h.ipCalls.slice(4), [
      'DHCPRELEASE 192.0.2.120 to 192.0.2.1',
      '-4 route del default via 192.0.2.1 dev eth0',
      '-4 addr del 192.0.2.120/24 dev eth0',
    ]);
  });

  it('Mgmt4 on an interface with an address uses INFORM and changes nothing', async () => {
    const h = harness({ mgmt: 'eth0' });
    let informed: unknown;
    const d = deps(h, {
      readInterface: (n) => Promise.resolve(iface(n, ['192.0.2.50'])),
      runDhcp4: (o) => {
        informed = o.inform;
        return Promise.resolve({
          redirect: encodeUriList(['https://192.0.2.1']),
          dnsServers: [],
          domainName: undefined,
          reply: {} as never,
          lease: undefined,
        });
      },
    });
    await createDhcpFetcher('Mgmt4', d).fetch(h.ctx);
    assert.deepEqual(informed, { address: '192.0.2.50', prefixLength: 24 });
    assert.deepEqual(h.ipCalls, []);
  });

  it('a failing redirect removes the configured address and rethrows the coded error', async () => {
    const h = harness({ mgmt: 'eth0' }, () =>
      Promise.reject(new SztpError('SZTP_ERR_SERVER_UNSIGNED_FROM_UNTRUSTED', 'unsigned')),
    );
    await assert.rejects(createDhcpFetcher('Mgmt4', deps(h)).fetch(h.ctx), {
      code: 'SZTP_ERR_SERVER_UNSIGNED_FROM_UNTRUSTED',
    });
    assert.deepEqual(h.ipCalls.slice(-3), [
      'DHCPRELEASE 192.0.2.120 to 192.0.2.1',
      '-4 route del default via 192.0.2.1 dev eth0',
      '-4 addr del 192.0.2.120/24 dev eth0',
    ]);
  });

  it('no option, or only http:// URIs → SZTP_ERR_DHCP_NO_OPTION and no address left behind', async () => {
    for (const redirect of [undefined, encodeUriList(['http://192.0.2.1'])]) {
      const h = harness({ mgmt: 'eth0' });
      const d = deps(h, {
        runDhcp4: () =>
          Promise.resolve({
            redirect,
            dnsServers: [],
            domainName: undefined,
            reply: {} as never,
            lease: { address: '192.0.2.120', prefixLength: 24, routers: [], serverId: undefined, leaseSeconds: 60 },
          }),
      });
      await assert.rejects(createDhcpFetcher('Mgmt4', d).fetch(h.ctx), { code: 'SZTP_ERR_DHCP_NO_OPTION' });
      assert.equal(h.calls.length, 0);
      assert.ok(!h.ipCalls.some((c) => c.includes('addr add')));
    }
  });

  it('DPort4 tries data ports in order, skipping a missing one', async () => {
    const h = harness({ dport: ['eth9', 'eth2'] });
    await createDhcpFetcher('DPort4', deps(h)).fetch(h.ctx);
    assert.equal(h.calls[0]?.origin.description, 'dhcpv4:eth2');
  });

  it('DPort: the error that got furthest is reported (refused server on port 1, missing port 2)', async () => {
    const h = harness({ dport: ['eth0', 'eth9'] }, () =>
      Promise.reject(new SztpError('SZTP_ERR_SERVER_EXHAUSTED', 'all failed')),
    );
    await assert.rejects(createDhcpFetcher('DPort4', deps(h)).fetch(h.ctx), { code: 'SZTP_ERR_SERVER_EXHAUSTED' });
  });

  it('missing or unconfigured interfaces → SZTP_ERR_DHCP_INTERFACE', async () => {
    const h = harness({ dport: ['eth8', 'eth9'] });
    await assert.rejects(createDhcpFetcher('DPort6', deps(h)).fetch(h.ctx), { code: 'SZTP_ERR_DHCP_INTERFACE' });
    await assert.rejects(createDhcpFetcher('Mgmt4', deps(h)).fetch(harness({}).ctx), {
      code: 'SZTP_ERR_DHCP_INTERFACE',
    });
  });

  it('Mgmt6: Solicit when no global address (address configured), Information-Request otherwise', async () => {
    const h = harness({ mgmt: 'eth0' });
    const src = await createDhcpFetcher('Mgmt6', deps(h)).fetch(h.ctx);
    assert.deepEqual(h.calls[0]?.redirect.bootstrapServers, [{ address: '2001:db8:1::1', port: 8443 }]);
    assert.deepEqual(h.ipCalls, ['-6 addr add 2001:db8:1::150/128 dev eth0 nodad']);
    await src.release?.();
    assert.deepEqual(h.ipCalls.slice(-2), ['Release 2001:db8:1::150', '-6 addr del 2001:db8:1::150/128 dev eth0']);
    const h2 = harness({ mgmt: 'eth0' });
    await createDhcpFetcher('Mgmt6', deps(h2, { readInterface: (n) => Promise.resolve(iface(n, [], true)) })).fetch(
      h2.ctx,
    );
    assert.deepEqual(h2.ipCalls, []);
  });

  it('lease-file and hook sources read the option without running a client', async () => {
    for (const source of ['lease-file', 'hook', 'networkd'] as const) {
      const h = harness({ mgmt: 'eth0', source });
      const got = (): Promise<{ value: Uint8Array; file: string }> =>
        Promise.resolve({ value: encodeUriList(['https://192.0.2.7:1234']), file: 'f' });
      await createDhcpFetcher(
        'Mgmt4',
        deps(h, {
          runDhcp4: () => Promise.reject(new Error('must not run')),
          readLeaseFiles: got,
          readHook: got,
          readNetworkd: got,
        }),
      ).fetch(h.ctx);
      assert.deepEqual(h.calls[0]?.redirect.bootstrapServers, [{ address: '192.0.2.7', port: 1234 }]);
    }
  });
});

describe('DHCP fetchers: interface administrative state', () => {
  /** eth0 is down until `ip link set dev eth0 up`, and reports no carrier on the first read after it. */
  function downDeps(h: Harness, carrierAfterReads = 1, over: Partial<DhcpFetcherDeps> = {}): Partial<DhcpFetcherDeps> {
    let up = false;
    let reads = 0;
    const base = deps(h);
    return {
      ...base,
      ip: (argv) => {
        if (argv.join(' ') === 'link set dev eth0 up') up = true;
        if (argv.join(' ') === 'link set dev eth0 down') up = false;
        return base.ip!(argv);
      },
      readAdminUp: () => Promise.resolve(up),
      readInterface: (name) => {
        const operstate = !up ? 'down' : reads++ < carrierAfterReads ? 'lowerlayerdown' : 'up';
        return operstate === 'up'
          ? Promise.resolve(iface(name))
          : Promise.reject(
              new SztpError('SZTP_ERR_DHCP_INTERFACE', `interface ${name} is ${operstate}, not up`, {
                evidence: { interface: name, operstate },
              }),
            );
      },
      linkUpWaitMs: 2000,
      ...over,
    };
  }

  it('a down interface is brought up before DHCP and set down again, last, on release', async () => {
    const h = harness({ mgmt: 'eth0' });
    const src = await createDhcpFetcher('Mgmt4', downDeps(h)).fetch(h.ctx);
    assert.equal(h.ipCalls[0], 'link set dev eth0 up');
    assert.equal(
      h.calls[0]?.ipAtCall.includes('link set dev eth0 down'),
      false,
      'still up while the redirect is followed',
    );
    await src.release?.();
    assert.equal(h.ipCalls.at(-1), 'link set dev eth0 down');
    assert.equal(h.ipCalls.filter((c) => c.startsWith('link')).length, 2);
  });

  it('moving on (no option in the reply) sets the interface down again', async () => {
    const h = harness({ mgmt: 'eth0' });
    const d = downDeps(h, 0, {
      runDhcp4: () =>
        Promise.resolve({
          redirect: undefined,
          dnsServers: [],
          domainName: undefined,
          reply: {} as never,
          lease: undefined,
        }),
    });
    await assert.rejects(createDhcpFetcher('Mgmt4', d).fetch(h.ctx), { code: 'SZTP_ERR_DHCP_NO_OPTION' });
    assert.deepEqual(
      h.ipCalls.filter((c) => c.startsWith('link')),
      ['link set dev eth0 up', 'link set dev eth0 down'],
    );
    assert.equal(h.ipCalls.at(-1), 'link set dev eth0 down');
  });

  it('a failed bootstrap server after a lease: address removed, then the interface set down', async () => {
    const h = harness({ mgmt: 'eth0' }, () => Promise.reject(new SztpError('SZTP_ERR_SERVER_EXHAUSTED', 'all failed')));
    await assert.rejects(createDhcpFetcher('Mgmt4', downDeps(h)).fetch(h.ctx), { code: 'SZTP_ERR_SERVER_EXHAUSTED' });
    assert.deepEqual(h.ipCalls.slice(-2), ['-4 addr del 192.0.2.120/24 dev eth0', 'link set dev eth0 down']);
  });

  it('no carrier within the wait: SZTP_ERR_DHCP_INTERFACE and the interface set down again', async () => {
    const h = harness({ mgmt: 'eth0' });
    const started = Date.now();
    await assert.rejects(
      createDhcpFetcher('Mgmt4', downDeps(h, Number.MAX_SAFE_INTEGER, { linkUpWaitMs: 300 })).fetch(h.ctx),
      { code: 'SZTP_ERR_DHCP_INTERFACE' },
    );
    assert.ok(Date.now() - started < 2000);
    assert.deepEqual(h.ipCalls, ['link set dev eth0 up', 'link set dev eth0 down']);
  });

  it('an interface set up by init a moment ago, carrier not yet seen: waited for (bounded), never set up or down by us', async () => {
    const h = harness({ mgmt: 'eth0' });
    let reads = 0;
    const d = deps(h, {
      readAdminUp: () => Promise.resolve(true),
      readInterface: (name) =>
        reads++ < 3
          ? Promise.reject(
              new SztpError('SZTP_ERR_DHCP_INTERFACE', `interface ${name} is down, not up`, {
                evidence: { interface: name, operstate: 'down' },
              }),
            )
          : Promise.resolve(iface(name)),
      linkUpWaitMs: 2000,
    });
    const src = await createDhcpFetcher('Mgmt4', d).fetch(h.ctx);
    await src.release?.();
    assert.equal(reads, 4);
    assert.equal(
      h.ipCalls.some((c) => c.startsWith('link')),
      false,
    );
    const h2 = harness({ mgmt: 'eth0' });
    const never = deps(h2, {
      readAdminUp: () => Promise.resolve(true),
      readInterface: (name) =>
        Promise.reject(
          new SztpError('SZTP_ERR_DHCP_INTERFACE', `interface ${name} is down, not up`, {
            evidence: { interface: name, operstate: 'down' },
          }),
        ),
      linkUpWaitMs: 300,
    });
    const started = Date.now();
    await assert.rejects(createDhcpFetcher('Mgmt4', never).fetch(h2.ctx), { code: 'SZTP_ERR_DHCP_INTERFACE' });
    assert.ok(Date.now() - started < 2000);
  });

  it('an interface that is already up is not touched; lease-file and hook sources never change the link', async () => {
    const h = harness({ mgmt: 'eth0' });
    const src = await createDhcpFetcher('Mgmt4', deps(h)).fetch(h.ctx);
    await src.release?.();
    assert.equal(
      h.ipCalls.some((c) => c.startsWith('link')),
      false,
    );
    const h2 = harness({ mgmt: 'eth0', source: 'lease-file' });
    const got = (): Promise<{ value: Uint8Array; file: string }> =>
      Promise.resolve({ value: encodeUriList(['https://192.0.2.7']), file: 'f' });
    await createDhcpFetcher(
      'Mgmt4',
      deps(h2, { readAdminUp: () => Promise.resolve(false), readLeaseFiles: got }),
    ).fetch(h2.ctx);
    assert.deepEqual(h2.ipCalls, []);
  });

  it('readAdminUp reads IFF_UP from sysfs flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sztp-flags-'));
    try {
      for (const [name, flags] of [
        ['up0', '0x1003'],
        ['down0', '0x1002'],
      ] as const) {
        mkdirSync(join(dir, name));
        writeFileSync(join(dir, name, 'flags'), `${flags}\n`);
      }
      assert.equal(await readAdminUp('up0', dir), true);
      assert.equal(await readAdminUp('down0', dir), false);
      assert.equal(await readAdminUp('none0', dir), undefined);
      assert.equal(await readAdminUp('../up0', dir), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
