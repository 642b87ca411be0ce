/**
 * End to end over DNS (RFC 8572 §4.2; root only): in the server namespace dnsmasq serves the
 * device-specific TXT record (`dns-rr=`, made by `bundle --dns-zone`'s encoder) and the SRV record
 * (`srv-host=`, `host-record=`) for a domain; a test mDNS responder (test/support/mdns-responder-cli.ts,
 * a test double: no Debian responder publishes the bare RFC 8572 names) serves `<serial>._sztp.local.`;
 * the test bootstrap server (mutual TLS) serves signed data for the SRV redirect. In the client
 * namespace `sztp-agent run --once` (from src via tsx) with only the DNS fetcher:
 * - signed TXT over unicast DNS (larger than a UDP answer: TCP) → applied, bootstrap-complete;
 * - unsigned TXT → refused (SZTP_ERR_CONVEYED_UNSIGNED), nothing applied;
 * - SRV → the bootstrap server, contacted provisionally, its signed data applied;
 * - TXT and SRV both present → the device-specific TXT wins, the server is never asked;
 * - signed TXT over multicast DNS (IPv4, and IPv6 alone) → applied; SRV over mDNS → the server;
 * - SIGTERM while the agent waits on DNS → it exits within 5 s.
 * Every process and both namespaces are removed in `finally`.
 * @module
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeSztpTxt } from '../../src/dns/txt.ts';
import { rogueServerCert, unsignedConveyed } from '../support/bootstrap-fixtures.ts';
import { makeSignedBundle, makeTestPki, onboardingJson, ztpIni, type TestPki } from '../support/pki.ts';
import {
  SERVER_V4,
  SERVER_V6,
  createLab,
  haveCommand,
  startTestBootstrapServer,
  isRoot,
  waitFor,
  type Lab,
} from './dhcp-lab.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli.ts')];
const MDNS_CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'test', 'support', 'mdns-responder-cli.ts')];
const skip = !isRoot() ? 'needs root (network namespaces)' : !haveCommand('dnsmasq') ? 'dnsmasq not installed' : false;
const SERIAL = 'SN-DNS-E2E-1';
const DOMAIN = 'sztp-e2e.test';
const CLIENT_V4 = '192.0.2.50';
const TXT_CONFIG = 'hostname from-dns-txt\n';
const SRV_CONFIG = 'hostname from-dns-srv\n';

interface Setup {
  readonly txt?: 'signed' | 'unsigned';
  readonly srv?: boolean;
  readonly mdnsTxt?: boolean;
  /** SRV `_sztp._tcp.local.` over mDNS, pointing at the bootstrap server (needs `srv`). */
  readonly mdnsSrv?: boolean;
  /** The mDNS responder answers over IPv6 (ff02::fb) instead of IPv4. */
  readonly mdnsV6?: boolean;
}

/** The TXT record's RDATA in hex (dnsmasq dns-rr= and the responder's JSON). */
function txtStrings(pki: TestPki, kind: 'signed' | 'unsigned'): Uint8Array[] {
  const doc = onboardingJson({ configuration: TXT_CONFIG, configurationHandling: 'replace' });
  return kind === 'signed'
    ? encodeSztpTxt(makeSignedBundle(pki, doc))
    : encodeSztpTxt({ conveyedInformation: unsignedConveyed(doc) });
}

const rdataHex = (strings: readonly Uint8Array[]): string =>
  Buffer.concat(strings.map((s) => Buffer.concat([Buffer.from([s.length]), s]))).toString('hex');

async function start(
  lab: Lab,
  s: Setup,
): Promise<{
  pki: TestPki;
  server?: ReturnType<Lab['spawnIn']>;
  ini: (dns: Record<string, string>, interfaces?: Record<string, string>) => string;
  routerRoot: string;
}> {
  const pki = makeTestPki(join(lab.dir, 'pki'), 'p256', SERIAL);
  // edns-packet-max: UDP answers stay below the signed record's size, so it comes over TCP (C-034).
  const conf = [
    `interface=${lab.srvIf}`,
    'bind-interfaces',
    'no-resolv',
    'no-hosts',
    'log-queries',
    'log-facility=-',
    'port=53',
    'edns-packet-max=1232',
  ];
  // On the command line: dnsmasq's configuration file reader limits line length, and signed data is kilobytes.
  const args = s.txt === undefined ? [] : [`--dns-rr=${SERIAL}._sztp.${DOMAIN},16,${rdataHex(txtStrings(pki, s.txt))}`];
  let server: ReturnType<Lab['spawnIn']> | undefined;
  if (s.srv === true) {
    conf.push(
      `srv-host=_sztp._tcp.${DOMAIN},bootstrap.${DOMAIN},8443,10,5`,
      `host-record=bootstrap.${DOMAIN},${SERVER_V4}`,
    );
    const devDir = join(lab.dir, 'replies', SERIAL);
    mkdirSync(devDir, { recursive: true });
    const b = makeSignedBundle(pki, onboardingJson({ configuration: SRV_CONFIG, configurationHandling: 'replace' }));
    writeFileSync(join(devDir, 'conveyed-information.cms'), b.conveyedInformation);
    writeFileSync(join(devDir, 'owner-certificate.cms'), b.ownerCertificate);
    writeFileSync(join(devDir, 'ownership-voucher.vcj'), b.ownershipVoucher);
    // A server certificate the device cannot authenticate: the connection stays provisional.
    const tls = rogueServerCert(join(lab.dir, 'pki')).server;
    server = await startTestBootstrapServer(lab, tls, pki.manufacturer.cert);
  }
  const file = join(lab.dir, 'dnsmasq.conf');
  writeFileSync(file, `${conf.join('\n')}\n`);
  const dnsmasq = lab.spawnIn(lab.srv, [
    'dnsmasq',
    '-k',
    '-C',
    file,
    `--pid-file=${join(lab.dir, 'dnsmasq.pid')}`,
    ...args,
  ]);
  assert.ok(
    await waitFor(() => /started, version/.test(dnsmasq.output()) || dnsmasq.exitCode !== null, 5000),
    dnsmasq.output(),
  );
  assert.equal(dnsmasq.exitCode, null, dnsmasq.output());
  if (s.mdnsTxt === true || s.mdnsSrv === true) {
    const records = join(lab.dir, 'mdns.json');
    const server = s.mdnsV6 === true ? SERVER_V6 : SERVER_V4;
    writeFileSync(
      records,
      JSON.stringify({
        ...(s.mdnsTxt === true
          ? { txt: { [`${SERIAL}._sztp.local`]: txtStrings(pki, 'signed').map((x) => Buffer.from(x).toString('hex')) } }
          : {}),
        ...(s.mdnsSrv === true
          ? {
              srv: { '_sztp._tcp.local': [{ priority: 0, weight: 0, port: 8443, target: 'bootstrap.local' }] },
              a: { 'bootstrap.local': server },
            }
          : {}),
      }),
    );
    const responder = lab.spawnIn(lab.srv, [...MDNS_CLI, records, s.mdnsV6 === true ? lab.srvIf : SERVER_V4]);
    assert.ok(
      await waitFor(() => responder.output().includes('mdns responder ready') || responder.exitCode !== null, 20_000),
      responder.output(),
    );
    assert.equal(responder.exitCode, null, responder.output());
  }
  const routerRoot = join(lab.dir, 'router');
  mkdirSync(routerRoot);
  const ini = (dns: Record<string, string>, interfaces: Record<string, string> = {}): string => {
    const path = join(lab.dir, 'ztp.ini');
    writeFileSync(
      path,
      ztpIni(pki, join(lab.dir, 'state'), {
        'Fetcher Priority': { DNS: '0' },
        DNS: { timeout_seconds: '3', resolv_conf: join(lab.dir, 'no-resolv.conf'), ...dns },
        Interfaces: interfaces,
        Bootstrap: { nonce: 'False', connect_timeout_seconds: '5', response_timeout_seconds: '10' },
        Router: { adapter: 'simulated', root: routerRoot, os_name: 'SimOS', os_version: '1.0', hw_model: 'sim-1' },
      }),
    );
    return path;
  };
  return { pki, ...(server === undefined ? {} : { server }), ini, routerRoot };
}

const UNICAST = { mdns: 'False', domains: DOMAIN, servers: SERVER_V4 };

async function phaseOf(lab: Lab, ini: string): Promise<string> {
  const st = await lab.run(lab.cli, [...CLI, 'status', '--config', ini, '--json']);
  assert.equal(st.code, 0, st.stderr);
  return (JSON.parse(st.stdout) as { phase: string }).phase;
}

describe('end to end over DNS: dnsmasq / mDNS responder → agent → simulated router', { skip }, () => {
  it('unicast: a signed TXT record (over TCP) is validated and applied (bootstrap-complete)', async () => {
    const lab = createLab({ clientV4: `${CLIENT_V4}/24` });
    try {
      const s = await start(lab, { txt: 'signed' });
      const ini = s.ini(UNICAST);
      const r = await lab.run(lab.cli, [...CLI, 'run', '--config', ini, '--once'], 120_000);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(readFileSync(join(s.routerRoot, 'running-config'), 'utf8'), TXT_CONFIG);
      assert.equal(await phaseOf(lab, ini), 'bootstrap-complete');
      assert.match(r.stderr, /device-specific TXT record found/);
      assert.ok(
        rdataHex(txtStrings(s.pki, 'signed')).length / 2 > 1232,
        'the signed record does not fit one UDP answer',
      );
    } finally {
      await lab.close();
    }
  });

  it('unicast: an unsigned TXT record is refused (SZTP_ERR_CONVEYED_UNSIGNED), nothing applied', async () => {
    const lab = createLab({ clientV4: `${CLIENT_V4}/24` });
    try {
      const s = await start(lab, { txt: 'unsigned' });
      const r = await lab.run(lab.cli, [...CLI, 'run', '--config', s.ini(UNICAST), '--once'], 120_000);
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /SZTP_ERR_CONVEYED_UNSIGNED/);
      assert.equal(existsSync(join(s.routerRoot, 'running-config')), false);
    } finally {
      await lab.close();
    }
  });

  it('unicast: the SRV record redirects to the mTLS bootstrap server, contacted provisionally; its signed data is applied', async () => {
    const lab = createLab({ clientV4: `${CLIENT_V4}/24` });
    try {
      const s = await start(lab, { srv: true });
      const r = await lab.run(lab.cli, [...CLI, 'run', '--config', s.ini(UNICAST), '--once'], 120_000);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(readFileSync(join(s.routerRoot, 'running-config'), 'utf8'), SRV_CONFIG);
      assert.match(r.stderr, /following the SRV records as an untrusted redirect/);
      assert.match(s.server?.output() ?? '', /get-bootstrapping-data/);
    } finally {
      await lab.close();
    }
  });

  it('unicast: with both, the device-specific TXT record wins; the SRV server is never asked (C-028)', async () => {
    const lab = createLab({ clientV4: `${CLIENT_V4}/24` });
    try {
      const s = await start(lab, { txt: 'signed', srv: true });
      const r = await lab.run(lab.cli, [...CLI, 'run', '--config', s.ini(UNICAST), '--once'], 120_000);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(readFileSync(join(s.routerRoot, 'running-config'), 'utf8'), TXT_CONFIG);
      assert.doesNotMatch(s.server?.output() ?? '', /get-bootstrapping-data/);
    } finally {
      await lab.close();
    }
  });

  it('multicast: a signed TXT record at <serial>._sztp.local. is applied', async () => {
    const lab = createLab({ clientV4: `${CLIENT_V4}/24` });
    try {
      const s = await start(lab, { mdnsTxt: true });
      const ini = s.ini({ mdns: 'True' }, { Mgmt: lab.cliIf });
      const r = await lab.run(lab.cli, [...CLI, 'run', '--config', ini, '--once'], 120_000);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(readFileSync(join(s.routerRoot, 'running-config'), 'utf8'), TXT_CONFIG);
      assert.match(r.stderr, new RegExp(`"source":"mdns:${lab.cliIf}"`));
    } finally {
      await lab.close();
    }
  });

  it('multicast: the SRV record at _sztp._tcp.local. (target address in the additional section, C-033) reaches the bootstrap server', async () => {
    const lab = createLab({ clientV4: `${CLIENT_V4}/24` });
    try {
      const s = await start(lab, { srv: true, mdnsSrv: true });
      const r = await lab.run(
        lab.cli,
        [...CLI, 'run', '--config', s.ini({ mdns: 'True' }, { Mgmt: lab.cliIf }), '--once'],
        120_000,
      );
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(readFileSync(join(s.routerRoot, 'running-config'), 'utf8'), SRV_CONFIG);
      assert.match(r.stderr, /"servers":\[\{"address":"192\.0\.2\.1","port":8443\}\]/);
    } finally {
      await lab.close();
    }
  });

  it('multicast over IPv6 only (ff02::fb, link-local): a signed TXT record is applied', async () => {
    const lab = createLab();
    try {
      assert.ok(
        await waitFor(
          () => lab.ip(lab.cli, '-6', 'addr', 'show', 'dev', lab.cliIf, 'scope', 'link').includes('fe80'),
          5000,
        ),
        'client link-local',
      );
      const s = await start(lab, { mdnsTxt: true, mdnsV6: true });
      const r = await lab.run(
        lab.cli,
        [...CLI, 'run', '--config', s.ini({ mdns: 'True' }, { Mgmt: lab.cliIf }), '--once'],
        120_000,
      );
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(readFileSync(join(s.routerRoot, 'running-config'), 'utf8'), TXT_CONFIG);
    } finally {
      await lab.close();
    }
  });

  it('SIGTERM while the agent waits on a silent DNS server ends it within 5 s', async () => {
    const lab = createLab({ clientV4: `${CLIENT_V4}/24` });
    try {
      const s = await start(lab, {});
      // Nothing listens on port 5399: the questions go unanswered until the 60 s deadline.
      const ini = s.ini({ mdns: 'False', domains: DOMAIN, servers: `${SERVER_V4}:5399`, timeout_seconds: '60' });
      const agent = lab.spawnIn(lab.cli, [...CLI, 'run', '--config', ini, '--once']);
      assert.ok(await waitFor(() => agent.output().includes('dns: asking'), 30_000), agent.output());
      await new Promise((r) => setTimeout(r, 500));
      const t0 = Date.now();
      const exited = new Promise<void>((r) =>
        agent.once('exit', () => {
          r();
        }),
      );
      // `ip netns exec` execs the agent: its pid is the agent's.
      process.kill(agent.pid!, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      assert.ok(agent.exitCode !== null || agent.signalCode !== null, 'the agent exited');
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    } finally {
      await lab.close();
    }
  });
});
