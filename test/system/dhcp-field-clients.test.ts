/**
 * Option 143 through OS DHCP clients configured as in the field (root only; dnsmasq in the server
 * namespace): ISC dhclient with a dhclient.conf that names the option `sztp-redirect-urls` (read by
 * `[DHCP] dhclient_conf`), and the real systemd-networkd running in the client namespace (private
 * mounts for /run/systemd, /etc/systemd/network and a read-only /sys, so it does not wait for
 * udev): networkd 252 does not store option 143 in its lease file even when the .network requests
 * it, so the agent reads the copy the server puts in site-private option 224 (`networkd_option`).
 * The real NetworkManager (private D-Bus system bus, same private mounts) with `dhcp=dhclient` and
 * the declaration in /etc/dhcp/dhclient.conf writes a dhclient lease file the agent reads.
 * @module
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeUriList } from '../../src/dhcp/uri-list.ts';
import {
  colonHex,
  createLab,
  haveCommand,
  isRoot,
  startDnsmasq,
  waitFor,
  waitLinkLocal,
  type Lab,
} from './dhcp-lab.ts';

const NM = '/usr/sbin/NetworkManager';
const PROBE = join(import.meta.dirname, 'dhcp-probe.ts');
const NETWORKD = '/lib/systemd/systemd-networkd';
const base = !isRoot() ? 'needs root (network namespaces)' : !haveCommand('dnsmasq') ? 'dnsmasq not installed' : false;
const V4 = ['https://192.0.2.1:8443', 'https://sztp.example.test'];
const V6 = ['https://[2001:db8:1::1]:8443'];
const SERVERS_V4 = [
  { address: '192.0.2.1', port: 8443 },
  { address: 'sztp.example.test', port: 443 },
];

async function probe(
  lab: Lab,
  input: Record<string, unknown>,
): Promise<{
  ok: boolean;
  code?: string;
  message?: string;
  redirect?: { bootstrapServers: { address: string; port: number }[] };
}> {
  const r = await lab.run(lab.cli, [
    process.execPath,
    '--import',
    'tsx',
    PROBE,
    JSON.stringify({ mgmt: lab.cliIf, timeoutSeconds: 5, ...input }),
  ]);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { ok: boolean; code?: string };
}

/** A dhclient.conf as seen in the field: the option named sztp-redirect-urls (and a dhcp6 twin). */
const FIELD_CONF = `# SZTP (RFC 8572) as configured on lab devices
option sztp-redirect-urls code 143 = string;
option dhcp6.sztp-redirect-urls code 136 = string;
request subnet-mask, routers, sztp-redirect-urls;
also request dhcp6.sztp-redirect-urls;
`;

describe('field-configured OS DHCP clients', { skip: base }, () => {
  it(
    'dhclient -4 and -6 with `option sztp-redirect-urls code 143|136`: read by the declared name',
    { skip: !haveCommand('dhclient') && 'dhclient not installed' },
    async () => {
      const lab = createLab();
      try {
        await startDnsmasq(lab, { opt143: encodeUriList(V4), opt136: encodeUriList(V6) });
        const conf = join(lab.dir, 'dhclient.conf');
        writeFileSync(conf, FIELD_CONF);
        const script = join(lab.dir, 'dhclient-script');
        writeFileSync(script, '#!/bin/sh\nexit 0\n');
        chmodSync(script, 0o755);
        const v4 = join(lab.dir, 'dhclient4.leases');
        const v6 = join(lab.dir, 'dhclient6.leases');
        lab.spawnIn(lab.cli, [
          'dhclient',
          '-4',
          '-d',
          '-cf',
          conf,
          '-lf',
          v4,
          '-pf',
          join(lab.dir, 'd4.pid'),
          '-sf',
          script,
          lab.cliIf,
        ]);
        await waitLinkLocal(lab);
        lab.spawnIn(lab.cli, [
          'dhclient',
          '-6',
          '-d',
          '-cf',
          conf,
          '-lf',
          v6,
          '-pf',
          join(lab.dir, 'd6.pid'),
          '-sf',
          script,
          lab.cliIf,
        ]);
        assert.ok(
          await waitFor(() => existsSync(v4) && readFileSync(v4, 'utf8').includes('option sztp-redirect-urls'), 20_000),
          'dhclient wrote the option under the declared name',
        );
        assert.ok(
          await waitFor(
            () => existsSync(v6) && readFileSync(v6, 'utf8').includes('option dhcp6.sztp-redirect-urls'),
            20_000,
          ),
          'dhclient -6 wrote the option under the declared name',
        );
        const r4 = await probe(lab, { fetcher: 'Mgmt4', source: 'lease-file', leaseFiles: [v4], dhclientConf: [conf] });
        assert.equal(r4.ok, true, JSON.stringify(r4));
        assert.deepEqual(r4.redirect?.bootstrapServers, SERVERS_V4);
        const r6 = await probe(lab, { fetcher: 'Mgmt6', source: 'lease-file', leaseFiles: [v6], dhclientConf: [conf] });
        assert.equal(r6.ok, true, JSON.stringify(r6));
        assert.deepEqual(r6.redirect?.bootstrapServers, [{ address: '2001:db8:1::1', port: 8443 }]);
        // Without the declarations the lease's option is unknown to the reader: refused, not guessed.
        const without = await probe(lab, {
          fetcher: 'Mgmt4',
          source: 'lease-file',
          leaseFiles: [v4],
          dhclientConf: [],
        });
        assert.equal(without.code, 'SZTP_ERR_DHCP_NO_OPTION');
      } finally {
        await lab.close();
      }
    },
  );

  it(
    'systemd-networkd: 143 is not in its lease file; the site-private copy (224) is, and the agent reads it',
    { skip: !existsSync(NETWORKD) && 'systemd-networkd not installed' },
    async () => {
      const lab = createLab();
      try {
        const value = encodeUriList(V4);
        // 143 and a copy in 224, each sent only when requested (as ISC dhcpd and Kea do).
        await startDnsmasq(lab, { opt143: value, extra: [`dhcp-option=224,${colonHex(value)}`] });
        const runDir = join(lab.dir, 'run-systemd');
        const netDir = join(lab.dir, 'network');
        mkdirSync(join(runDir, 'netif', 'leases'), { recursive: true });
        mkdirSync(netDir);
        writeFileSync(
          join(netDir, '50-sztp.network'),
          `[Match]\nName=${lab.cliIf}\n\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n\n[DHCPv4]\nRequestOptions=143 224\n`,
        );
        const script = [
          'set -e',
          `mount --bind '${runDir}' /run/systemd`,
          `mount --bind '${netDir}' /etc/systemd/network`,
          'mount -t tmpfs tmpfs /run/dbus', // no system bus: networkd must not register on the host's
          'umount -l /sys && mount -t sysfs -o ro sysfs /sys', // read-only /sys: networkd does not wait for udev
          'chown -R systemd-network:systemd-network /run/systemd/netif',
          `exec ${NETWORKD}`,
        ].join('\n');
        const networkd = lab.spawnIn(lab.cli, ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script], {
          SYSTEMD_LOG_LEVEL: 'debug',
        });
        const leases = join(runDir, 'netif', 'leases');
        assert.ok(
          await waitFor(
            () =>
              readdirSync(leases).length > 0 &&
              readFileSync(join(leases, readdirSync(leases)[0]!), 'utf8').includes('ADDRESS='),
            30_000,
          ),
          `networkd wrote a lease: ${networkd.output().slice(-2000)}`,
        );
        const lease = readFileSync(join(leases, readdirSync(leases)[0]!), 'utf8');
        assert.doesNotMatch(lease, /OPTION_143=/, 'networkd 252 does not keep option 143');
        assert.match(lease, new RegExp(`OPTION_224=${Buffer.from(value).toString('hex')}`));
        const r = await probe(lab, {
          fetcher: 'Mgmt4',
          source: 'networkd',
          networkdLeases: [leases],
          networkdOption: 224,
        });
        assert.equal(r.ok, true, JSON.stringify(r));
        assert.deepEqual(r.redirect?.bootstrapServers, SERVERS_V4);
        const unset = await probe(lab, { fetcher: 'Mgmt4', source: 'networkd', networkdLeases: [leases] });
        assert.equal(unset.code, 'SZTP_ERR_DHCP_NO_OPTION');
        assert.match(unset.message ?? '', /networkd_option/);
      } finally {
        await lab.close();
      }
    },
  );

  it(
    'NetworkManager with dhcp=dhclient: its dhclient lease file carries the declared option',
    {
      skip:
        (!existsSync(NM) || !haveCommand('dbus-daemon') || !haveCommand('dhclient')) &&
        'network-manager, dbus or dhclient not installed',
    },
    async () => {
      const lab = createLab();
      try {
        await startDnsmasq(lab, { opt143: encodeUriList(V4) });
        const d = (n: string): string => join(lab.dir, n);
        for (const n of ['nm-etc/system-connections', 'nm-var', 'nm-run', 'dbus', 'dhcp'])
          mkdirSync(d(n), { recursive: true });
        writeFileSync(d('nm-etc/NetworkManager.conf'), '[main]\nplugins=keyfile\ndhcp=dhclient\n');
        writeFileSync(
          d('nm-etc/system-connections/sztp.nmconnection'),
          `[connection]\nid=sztp\ntype=ethernet\ninterface-name=${lab.cliIf}\n\n[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=disabled\n`,
          { mode: 0o600 },
        );
        writeFileSync(d('dhcp/dhclient.conf'), FIELD_CONF);
        const script = [
          'set -e',
          `mount --bind '${d('nm-etc')}' /etc/NetworkManager`,
          `mount --bind '${d('nm-var')}' /var/lib/NetworkManager`,
          `mkdir -p /run/NetworkManager && mount --bind '${d('nm-run')}' /run/NetworkManager`,
          `mount --bind '${d('dbus')}' /run/dbus`, // a private system bus
          `mount --bind '${d('dhcp')}' /etc/dhcp`,
          'umount -l /sys && mount -t sysfs -o ro sysfs /sys',
          'dbus-daemon --system --nopidfile --fork',
          `exec ${NM} --no-daemon`,
        ].join('\n');
        // Own pid namespace: when close() stops unshare, the kernel ends NetworkManager, its bus, dhclient and nm-dispatcher.
        const nm = lab.spawnIn(lab.cli, [
          'unshare',
          '-m',
          '-p',
          '--kill-child',
          '--propagation',
          'private',
          'sh',
          '-c',
          script,
        ]);
        const leaseFile = (): string | undefined =>
          readdirSync(d('nm-var')).find((f) => f.startsWith('dhclient-') && f.endsWith(`-${lab.cliIf}.lease`));
        assert.ok(
          await waitFor(() => {
            const f = leaseFile();
            return f !== undefined && readFileSync(d(`nm-var/${f}`), 'utf8').includes('sztp-redirect-urls');
          }, 30_000),
          `NetworkManager's dhclient wrote the option: ${nm.output().slice(-2000)}`,
        );
        const r = await probe(lab, {
          fetcher: 'Mgmt4',
          source: 'lease-file',
          leaseFiles: [d(`nm-var/${leaseFile() ?? ''}`)],
          dhclientConf: [d('dhcp/dhclient.conf')],
        });
        assert.equal(r.ok, true, JSON.stringify(r));
        assert.deepEqual(r.redirect?.bootstrapServers, SERVERS_V4);
        // The same value over D-Bus, as `nmcli -f DHCP4` shows it (the bus is the private one).
        const nmcli = await lab.run(lab.cli, ['nmcli', '-t', '-f', 'DHCP4', 'device', 'show', lab.cliIf], 10_000, {
          DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${d('dbus/system_bus_socket')}`,
        });
        assert.match(nmcli.stdout, /sztp_redirect_urls = 0:16:68:74:74:70:73/, nmcli.stderr);
      } finally {
        await lab.close();
      }
    },
  );
});
