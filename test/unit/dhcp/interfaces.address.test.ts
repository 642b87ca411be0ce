/**
 * address.ts (record exactly what was added, undo in reverse, never undo what already existed)
 * with a fake `ip` runner, and interfaces.ts against a fake sysfs/procfs in a temp dir.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  addLimitedBroadcastRoute,
  configureLease,
  createNetworkChanges,
  type IpRunner,
} from '../../../src/dhcp/address.ts';
import { globalIpv6, linkLocalIpv6, parseIfInet6, readInterface, usableIpv4 } from '../../../src/dhcp/interfaces.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

function fakeIp(existing: string[] = [], failing: string[] = []): IpRunner & { calls: string[] } {
  const calls: string[] = [];
  const run: IpRunner = (argv) => {
    const line = argv.join(' ');
    calls.push(line);
    if (existing.some((e) => line.includes(e) && line.includes(' add ')))
      return Promise.resolve({ code: 2, stderr: 'RTNETLINK answers: File exists' });
    if (failing.some((e) => line.includes(e)))
      return Promise.resolve({ code: 2, stderr: 'RTNETLINK answers: Operation not permitted' });
    return Promise.resolve({ code: 0, stderr: '' });
  };
  return Object.assign(run, { calls });
}

describe('address changes', () => {
  it('adds address and default route, then removes them in reverse order', async () => {
    const ip = fakeIp();
    const ch = createNetworkChanges(ip);
    await configureLease(ch, {
      family: 4,
      ifname: 'eth0',
      address: '192.0.2.100',
      prefixLength: 24,
      routers: ['192.0.2.1', '192.0.2.2'],
    });
    await ch.removeAll();
    assert.deepEqual(ip.calls, [
      '-4 addr add 192.0.2.100/24 dev eth0',
      '-4 route add default via 192.0.2.1 dev eth0',
      '-4 route del default via 192.0.2.1 dev eth0',
      '-4 addr del 192.0.2.100/24 dev eth0',
    ]);
    await ch.removeAll();
    assert.equal(ip.calls.length, 4, 'a second removeAll does nothing');
  });

  it('never removes what already existed (existing default route, existing broadcast route)', async () => {
    const ip = fakeIp(['default', '255.255.255.255']);
    const ch = createNetworkChanges(ip);
    assert.equal(await addLimitedBroadcastRoute(ch, 'eth0'), false);
    await configureLease(ch, {
      family: 6,
      ifname: 'eth0',
      address: '2001:db8::5',
      prefixLength: 128,
      routers: ['fe80::1'],
    });
    await ch.removeAll();
    assert.deepEqual(
      ip.calls.filter((c) => c.includes(' del ')),
      ['-6 addr del 2001:db8::5/128 dev eth0'],
    );
  });

  it('a failing add is SZTP_ERR_DHCP_ADDRESS', async () => {
    const ch = createNetworkChanges(fakeIp([], ['addr add']));
    await assert.rejects(
      configureLease(ch, { family: 4, ifname: 'eth0', address: '192.0.2.100', prefixLength: 24, routers: [] }),
      { code: 'SZTP_ERR_DHCP_ADDRESS' },
    );
  });
});

describe('address changes with a journal (undo recorded before each change)', () => {
  it('records each undo before its add runs, forgets it once undone; a change not made is forgotten at once', async () => {
    const events: string[] = [];
    const ip = fakeIp(['255.255.255.255']);
    const logged: IpRunner = (argv) => {
      events.push(`ip ${argv.join(' ')}`);
      return ip(argv);
    };
    const journal = {
      record: (undo: readonly string[]) => {
        events.push(`record ${undo.join(' ')}`);
        return Promise.resolve();
      },
      forget: (undo: readonly string[]) => {
        events.push(`forget ${undo.join(' ')}`);
        return Promise.resolve();
      },
    };
    const ch = createNetworkChanges(logged, undefined, journal);
    await addLimitedBroadcastRoute(ch, 'eth0');
    await configureLease(ch, { family: 4, ifname: 'eth0', address: '192.0.2.100', prefixLength: 24, routers: [] });
    await ch.removeAll();
    assert.deepEqual(events, [
      'record -4 route del 255.255.255.255/32 dev eth0',
      'ip -4 route add 255.255.255.255/32 dev eth0',
      'forget -4 route del 255.255.255.255/32 dev eth0',
      'record -4 addr del 192.0.2.100/24 dev eth0',
      'ip -4 addr add 192.0.2.100/24 dev eth0',
      'ip -4 addr del 192.0.2.100/24 dev eth0',
      'forget -4 addr del 192.0.2.100/24 dev eth0',
    ]);
  });

  it('an undo that fails stays in the journal (the next start tries again)', async () => {
    const forgotten: string[] = [];
    const journal = {
      record: () => Promise.resolve(),
      forget: (undo: readonly string[]) => {
        forgotten.push(undo.join(' '));
        return Promise.resolve();
      },
    };
    const ch = createNetworkChanges(fakeIp([], ['addr del']), undefined, journal);
    await configureLease(ch, { family: 4, ifname: 'eth0', address: '192.0.2.100', prefixLength: 24, routers: [] });
    await assert.rejects(ch.removeAll(), { code: 'SZTP_ERR_DHCP_ADDRESS' });
    assert.deepEqual(forgotten, []);
  });
});

describe('interface state', () => {
  const root = makeTempDir('sys');
  after(() => rmSync(root, { recursive: true, force: true }));
  const mk = (name: string, operstate: string): void => {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, 'operstate'), `${operstate}\n`);
    writeFileSync(join(root, name, 'address'), '02:00:00:00:00:01\n');
  };
  mk('eth0', 'up');
  mk('eth1', 'down');
  const inet6 = join(root, 'if_inet6');
  writeFileSync(
    inet6,
    [
      'fe800000000000000000000000000001 02 40 20 80     eth0',
      '20010db8000100000000000000000005 02 40 00 40     eth0',
      '20010db8000100000000000000000006 03 40 00 80     eth1',
    ].join('\n'),
  );
  const deps = {
    sysClassNet: root,
    procIfInet6: inet6,
    networkInterfaces: () => ({
      eth0: [
        {
          address: '192.0.2.50',
          netmask: '255.255.255.0',
          family: 'IPv4' as const,
          mac: '02:00:00:00:00:01',
          internal: false,
          cidr: '192.0.2.50/24',
        },
      ],
    }),
  };

  it('reads an up interface with its addresses (tentative global v6 is not usable)', async () => {
    const s = await readInterface('eth0', deps);
    assert.deepEqual([...s.mac], [2, 0, 0, 0, 0, 1]);
    assert.deepEqual(usableIpv4(s), { address: '192.0.2.50', prefixLength: 24 });
    assert.equal(linkLocalIpv6(s)?.address, 'fe80::1');
    assert.equal(globalIpv6(s), undefined);
  });

  it('missing, down or badly named interface → SZTP_ERR_DHCP_INTERFACE', async () => {
    await assert.rejects(readInterface('eth9', deps), { code: 'SZTP_ERR_DHCP_INTERFACE' });
    await assert.rejects(readInterface('eth1', deps), { code: 'SZTP_ERR_DHCP_INTERFACE', message: /down/ });
    await assert.rejects(readInterface('../etc', deps), { code: 'SZTP_ERR_DHCP_INTERFACE' });
  });

  it('parses /proc/net/if_inet6 scope and flags', () => {
    const a = parseIfInet6('20010db8000100000000000000000006 03 40 00 80     eth1', 'eth1');
    assert.deepEqual(a, [{ address: '2001:db8:1::6', prefixLength: 64, scope: 'global', tentative: false }]);
  });
});
