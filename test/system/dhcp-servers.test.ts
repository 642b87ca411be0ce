/**
 * DHCP fetchers against real DHCP servers in network namespaces (root only): dnsmasq for
 * DHCPv4 DISCOVER (and DHCPRELEASE) and INFORM, DHCPv6 Information-Request and Solicit; Kea 4 with a > 255-octet
 * option 143 (RFC 3396 split) and Kea 6; negative cases (no option, only http://, no server →
 * deadline, not privileged, interface missing or down). The fetcher runs in the client namespace
 * (test/system/dhcp-probe.ts) with a recording bootstrap client; every test builds its own lab
 * and tears it down (processes by PID, namespaces) in `finally`.
 * @module
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeUriList } from '../../src/dhcp/uri-list.ts';
import { createLab, haveCommand, isRoot, startDnsmasq, startKea, waitFor, type Lab } from './dhcp-lab.ts';

const PROBE = join(import.meta.dirname, 'dhcp-probe.ts');
const skip = !isRoot() ? 'needs root (network namespaces)' : !haveCommand('dnsmasq') ? 'dnsmasq not installed' : false;
const skipKea = skip || (!haveCommand('kea-dhcp4') || !haveCommand('kea-dhcp6') ? 'kea not installed' : false);

interface ProbeResult {
  ok: boolean;
  ms: number;
  code?: string;
  before: { addrs: string[]; routes: string[] };
  redirect?: { bootstrapServers: { address: string; port: number }[] };
  trusted?: boolean;
  addrsDuring?: string[];
  routesDuring?: string[];
  addrsAfter: string[];
  routesAfter: string[];
}

async function probe(
  lab: Lab,
  input: Record<string, unknown>,
  prefix: readonly string[] = [],
): Promise<ProbeResult & { log: string }> {
  const r = await lab.run(
    lab.cli,
    [
      ...prefix,
      process.execPath,
      '--import',
      'tsx',
      PROBE,
      JSON.stringify({ mgmt: lab.cliIf, watch: lab.cliIf, timeoutSeconds: 8, ...input }),
    ],
    60_000,
    { PROBE_LOG: 'info' },
  );
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  assert.ok(line.startsWith('{'), `probe output: ${r.stdout}\n${r.stderr}`);
  return { ...(JSON.parse(line) as ProbeResult), log: r.stderr };
}

async function withLab(opts: Parameters<typeof createLab>[0], fn: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = createLab(opts);
  try {
    await fn(lab);
  } finally {
    await lab.close();
  }
}

const V4_URIS = ['https://192.0.2.1:8443', 'https://sztp.example.test:8443'];
const V6_URIS = ['https://[2001:db8:1::1]:8443', 'https://sztp6.example.test'];
const servers = (uris: string[]) =>
  uris.map((u) => {
    const m = /^https:\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?/.exec(u)!;
    return { address: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2] ?? 443) };
  });

/**
 * The interface is left exactly as found. Routes the kernel learns from dnsmasq's router
 * advertisements (they carry an expiry, and may arrive while the probe runs) are not ours.
 */
function assertRestored(r: ProbeResult): void {
  assert.deepEqual(r.addrsAfter, r.before.addrs);
  const ours = (routes: string[]): string[] =>
    routes.filter((l) => !l.includes('proto ra') && !/expires \d+sec/.test(l) && !l.startsWith('2001:db8:1::/64'));
  assert.deepEqual(ours(r.routesAfter), ours(r.before.routes));
}

describe('DHCP fetchers against dnsmasq and Kea in namespaces', { skip }, () => {
  it('DHCPv4 DISCOVER (dnsmasq): URIs in order, address configured then removed, several DNS servers', async () => {
    await withLab({}, async (lab) => {
      const dnsmasq = await startDnsmasq(lab, {
        opt143: encodeUriList(V4_URIS),
        extra: ['dhcp-option=6,192.0.2.53,192.0.2.54,192.0.2.55', 'dhcp-option=15,example.test'],
      });
      const r = await probe(lab, { fetcher: 'Mgmt4' });
      assert.ok(await waitFor(() => dnsmasq.output().includes('DHCPRELEASE'), 3000), 'lease released to the server');
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.trusted, false);
      assert.deepEqual(r.redirect?.bootstrapServers, servers(V4_URIS));
      assert.equal(r.addrsDuring?.length, 1);
      assert.match(r.addrsDuring?.[0] ?? '', /^192\.0\.2\.(1[0-4]\d|150)\/24$/);
      assert.ok(
        r.routesDuring?.some((l) => l.startsWith('default via 192.0.2.1')),
        'router route added',
      );
      assert.ok(
        !r.routesDuring?.some((l) => l.startsWith('255.255.255.255')),
        'broadcast route removed before the redirect',
      );
      assertRestored(r);
    });
  });

  it('DHCPv4 INFORM (dnsmasq) with a static address: URIs, nothing changed', async () => {
    await withLab({ clientV4: '192.0.2.50/24' }, async (lab) => {
      await startDnsmasq(lab, { opt143: encodeUriList(V4_URIS) });
      const r = await probe(lab, { fetcher: 'Mgmt4' });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.deepEqual(r.redirect?.bootstrapServers, servers(V4_URIS));
      assert.deepEqual(r.addrsDuring, ['192.0.2.50/24']);
      assertRestored(r);
    });
  });

  it('DHCPv6 Information-Request (dnsmasq) with a global address held', async () => {
    await withLab({}, async (lab) => {
      lab.ip(lab.cli, 'addr', 'add', '2001:db8:1::50/64', 'dev', lab.cliIf, 'nodad');
      await startDnsmasq(lab, { opt136: encodeUriList(V6_URIS) });
      const r = await probe(lab, { fetcher: 'Mgmt6' });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.deepEqual(r.redirect?.bootstrapServers, servers(V6_URIS));
      assert.deepEqual(r.addrsDuring, ['2001:db8:1::50/64']);
      assertRestored(r);
    });
  });

  it('DHCPv6 Solicit/Request (dnsmasq): address configured, released and removed', async () => {
    await withLab({}, async (lab) => {
      const dnsmasq = await startDnsmasq(lab, { opt136: encodeUriList(V6_URIS) });
      const r = await probe(lab, { fetcher: 'Mgmt6' });
      assert.ok(
        await waitFor(() => /DHCPRELEASE\(\S+\) 00:03:00:01:/.test(dnsmasq.output()), 3000),
        `Release reached the server:\n${dnsmasq.output().slice(-800)}`,
      );
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.deepEqual(r.redirect?.bootstrapServers, servers(V6_URIS));
      assert.equal(r.addrsDuring?.length, 1);
      assert.match(r.addrsDuring?.[0] ?? '', /^2001:db8:1::1[0-9a-f]{2}\/128$/);
      assertRestored(r);
    });
  });

  it('DPort4 skips a missing data port and uses the next one', async () => {
    await withLab({}, async (lab) => {
      await startDnsmasq(lab, { opt143: encodeUriList(V4_URIS) });
      const r = await probe(lab, { fetcher: 'DPort4', mgmt: undefined, dport: ['nosuch0', lab.cliIf] });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.deepEqual(r.redirect?.bootstrapServers, servers(V4_URIS));
    });
  });

  it('negative: no option 143 in the reply → SZTP_ERR_DHCP_NO_OPTION, interface untouched', async () => {
    await withLab({}, async (lab) => {
      await startDnsmasq(lab, {});
      const r = await probe(lab, { fetcher: 'Mgmt4' });
      assert.equal(r.code, 'SZTP_ERR_DHCP_NO_OPTION');
      assert.equal(r.redirect, undefined);
      assertRestored(r);
    });
  });

  it('negative: options holding only http:// URIs → SZTP_ERR_DHCP_NO_OPTION (v4 and v6)', async () => {
    await withLab({}, async (lab) => {
      await startDnsmasq(lab, {
        opt143: encodeUriList(['http://192.0.2.1:8080']),
        opt136: encodeUriList(['http://[2001:db8:1::1]']),
      });
      for (const fetcher of ['Mgmt4', 'Mgmt6']) {
        const r = await probe(lab, { fetcher });
        assert.equal(r.code, 'SZTP_ERR_DHCP_NO_OPTION', fetcher);
        assertRestored(r);
      }
    });
  });

  it('negative: no DHCP server → SZTP_ERR_DHCP_TIMEOUT at the deadline', async () => {
    await withLab({}, async (lab) => {
      for (const fetcher of ['Mgmt4', 'Mgmt6']) {
        const r = await probe(lab, { fetcher, timeoutSeconds: 2 });
        assert.equal(r.code, 'SZTP_ERR_DHCP_TIMEOUT', fetcher);
        assert.ok(r.ms >= 1900 && r.ms < 5000, `${fetcher} took ${r.ms} ms`);
        assertRestored(r);
      }
    });
  });

  it(
    'negative: not privileged (UDP 68 / 546 not bindable) → SZTP_ERR_DHCP_SOCKET',
    { skip: !haveCommand('setpriv') && 'setpriv missing' },
    async () => {
      await withLab({ clientV4: '192.0.2.50/24' }, async (lab) => {
        lab.ip(lab.cli, 'addr', 'add', '2001:db8:1::50/64', 'dev', lab.cliIf, 'nodad');
        await startDnsmasq(lab, { opt143: encodeUriList(V4_URIS), opt136: encodeUriList(V6_URIS) });
        for (const fetcher of ['Mgmt4', 'Mgmt6']) {
          // Root without any capability (no CAP_NET_BIND_SERVICE) rather than another uid, so the probe
          // can still read the checkout wherever CI cloned it (mktemp -d makes a 0700 directory).
          const r = await probe(lab, { fetcher }, ['setpriv', '--bounding-set=-all', '--inh-caps=-all']);
          assert.equal(r.code, 'SZTP_ERR_DHCP_SOCKET', `${fetcher}: ${JSON.stringify(r)}`);
        }
      });
    },
  );

  it('negative: interface missing → SZTP_ERR_DHCP_INTERFACE; a down one is brought up and set down again; other links untouched', async () => {
    await withLab({}, async (lab) => {
      const missing = await probe(lab, { fetcher: 'Mgmt4', mgmt: 'nosuch0' });
      assert.equal(missing.code, 'SZTP_ERR_DHCP_INTERFACE');
      lab.ip(lab.cli, 'link', 'set', lab.cliIf, 'down');
      // A down interface is brought up for our own client (docs/dhcp.md); no server runs in this lab,
      // so the exchange times out, and the interface is left down as it was found.
      const down = await probe(lab, { fetcher: 'Mgmt6' });
      assert.equal(down.code, 'SZTP_ERR_DHCP_TIMEOUT');
      assert.doesNotMatch(
        lab.ip(lab.cli, 'link', 'show', lab.cliIf).replace(/@\S+/, ''),
        /<[^>]*\bUP\b[^>]*>/,
        'set down again',
      );
      assert.match(lab.ip(lab.cli, 'link', 'show', 'lo'), /UP/, 'loopback left up');
    });
  });
});

describe('DHCP fetchers against Kea', { skip: skipKea }, () => {
  it('AT-27 on a real server: Kea 4 splits a > 510-octet option 143 into 3 instances (RFC 3396); every URI comes back in order', async () => {
    const long = [
      `https://${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(40)}.example:8443`,
      `https://${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(48)}.example`,
      `https://${'g'.repeat(60)}.${'h'.repeat(60)}.${'i'.repeat(50)}.example:9443`,
      'https://192.0.2.1:8443',
    ];
    const value = encodeUriList(long);
    assert.ok(value.length > 510, `value is ${value.length} octets`);
    await withLab({}, async (lab) => {
      await startKea(lab, 4, value);
      const r = await probe(lab, { fetcher: 'Mgmt4' });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.match(r.log, /"option143Instances":3/, 'Kea sent the list as 3 option-143 instances');
      assert.deepEqual(r.redirect?.bootstrapServers, servers(long));
      assertRestored(r);
    });
  });

  it('Kea 6 Solicit/Request delivers option 136 and an address', async () => {
    await withLab({}, async (lab) => {
      await startKea(lab, 6, encodeUriList(V6_URIS));
      const r = await probe(lab, { fetcher: 'Mgmt6' });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.deepEqual(r.redirect?.bootstrapServers, servers(V6_URIS));
      assert.match(r.addrsDuring?.[0] ?? '', /^2001:db8:1::1[0-9a-f]{2}\/128$/);
      assertRestored(r);
    });
  });
});
