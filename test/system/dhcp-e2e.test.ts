/**
 * End to end over DHCP (root only): in the server namespace dnsmasq hands out option 143 / 136
 * pointing at the test bootstrap server (test/support/bootstrap-server-cli.ts) that serves
 * signed onboarding information made with test/support/pki.ts; in the client namespace
 * `sztp-agent run --config ztp.ini --once` (from src via tsx) gets the URI, connects
 * provisionally, validates and applies to the simulated router, ending in bootstrap-complete.
 * Negative: unsigned onboarding information over the provisional connection is refused (exit 1,
 * nothing applied); signed data over the same provisional connection is applied; an interface
 * that is down is brought up for the exchange and set down again afterwards. Every process and both namespaces are removed in `finally`.
 * @module
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeUriList } from '../../src/dhcp/uri-list.ts';
import { rogueServerCert, unsignedConveyed } from '../support/bootstrap-fixtures.ts';
import { makeSignedBundle, makeTestPki, onboardingJson, ztpIni } from '../support/pki.ts';
import {
  createLab,
  haveCommand,
  startTestBootstrapServer,
  isRoot,
  startDnsmasq,
  waitFor,
  type Lab,
} from './dhcp-lab.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli.ts')];
const skip = !isRoot() ? 'needs root (network namespaces)' : !haveCommand('dnsmasq') ? 'dnsmasq not installed' : false;
const SERIAL = 'SN-DHCP-E2E-1';
const CONFIG = 'hostname dhcp-e2e\n';

interface Scenario {
  readonly fetcher: 'Mgmt4' | 'Mgmt6';
  readonly signed: boolean;
  /** Serve a certificate from a CA the device does not trust, so the connection stays provisional. */
  readonly rogueServer?: boolean;
  /** Set the client interface administratively down before the agent runs. */
  readonly linkDown?: boolean;
}

async function scenario(
  lab: Lab,
  s: Scenario,
): Promise<{ code: number | null; stdout: string; stderr: string; routerRoot: string; ini: string }> {
  const pki = makeTestPki(join(lab.dir, 'pki'), 'p256', SERIAL);
  const devDir = join(lab.dir, 'replies', SERIAL);
  mkdirSync(devDir, { recursive: true });
  const doc = onboardingJson({ configuration: CONFIG, configurationHandling: 'replace' });
  if (s.signed) {
    const b = makeSignedBundle(pki, doc);
    writeFileSync(join(devDir, 'conveyed-information.cms'), b.conveyedInformation);
    writeFileSync(join(devDir, 'owner-certificate.cms'), b.ownerCertificate);
    writeFileSync(join(devDir, 'ownership-voucher.vcj'), b.ownershipVoucher);
  } else {
    writeFileSync(join(devDir, 'conveyed-information.cms'), unsignedConveyed(doc));
  }
  const tls = s.rogueServer === true ? rogueServerCert(join(lab.dir, 'pki')).server : pki.server;
  await startTestBootstrapServer(lab, tls, pki.manufacturer.cert);
  await startDnsmasq(lab, {
    opt143: encodeUriList(['https://192.0.2.1:8443']),
    opt136: encodeUriList(['https://[2001:db8:1::1]:8443']),
  });
  if (s.fetcher === 'Mgmt6') {
    // DHCPv6 gives a /128; the on-link prefix comes from dnsmasq's router advertisements.
    assert.ok(
      await waitFor(
        () => lab.ip(lab.cli, '-6', 'route', 'show', '2001:db8:1::/64').includes('2001:db8:1::/64'),
        15_000,
      ),
      'RA prefix route',
    );
  }
  const routerRoot = join(lab.dir, 'router');
  mkdirSync(routerRoot);
  const ini = join(lab.dir, 'ztp.ini');
  writeFileSync(
    ini,
    ztpIni(pki, join(lab.dir, 'state'), {
      'Fetcher Priority': { [s.fetcher]: '0' },
      Interfaces: { Mgmt: lab.cliIf },
      DHCP: { source: 'client', timeout_seconds: '10' },
      Bootstrap: { nonce: 'False', connect_timeout_seconds: '5', response_timeout_seconds: '10' },
      Router: { adapter: 'simulated', root: routerRoot, os_name: 'SimOS', os_version: '1.0', hw_model: 'sim-1' },
    }),
  );
  if (s.linkDown === true) lab.ip(lab.cli, 'link', 'set', lab.cliIf, 'down');
  const r = await lab.run(lab.cli, [...CLI, 'run', '--config', ini, '--once'], 120_000);
  return { ...r, routerRoot, ini };
}

describe('end to end over DHCP: dnsmasq → bootstrap server → simulated router', { skip }, () => {
  for (const fetcher of ['Mgmt4', 'Mgmt6'] as const) {
    it(`${fetcher}: signed onboarding information is validated and applied (bootstrap-complete)`, async () => {
      const lab = createLab();
      try {
        const r = await scenario(lab, { fetcher, signed: true });
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        assert.equal(readFileSync(join(r.routerRoot, 'running-config'), 'utf8'), CONFIG);
        const st = await lab.run(lab.cli, [...CLI, 'status', '--config', r.ini, '--json']);
        assert.equal(st.code, 0, st.stderr);
        const doc = JSON.parse(st.stdout) as { phase: string; events: { progressType: string }[] };
        assert.equal(doc.phase, 'bootstrap-complete');
        assert.equal(doc.events.at(-1)?.progressType, 'bootstrap-complete');
        const addrs = lab.ip(lab.cli, '-o', 'addr', 'show', 'dev', lab.cliIf, 'scope', 'global');
        assert.equal(addrs.trim(), '', 'the leased address was removed after onboarding');
      } finally {
        await lab.close();
      }
    });
  }

  it('Mgmt4: signed data from a server the device cannot authenticate (provisional) is applied', async () => {
    const lab = createLab();
    try {
      const r = await scenario(lab, { fetcher: 'Mgmt4', signed: true, rogueServer: true });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(readFileSync(join(r.routerRoot, 'running-config'), 'utf8'), CONFIG);
    } finally {
      await lab.close();
    }
  });

  it('Mgmt4 on an interface that is down: brought up for DHCP, bootstrap-complete, down again afterwards', async () => {
    const lab = createLab();
    try {
      const r = await scenario(lab, { fetcher: 'Mgmt4', signed: true, linkDown: true });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /interface is down; bringing it up/);
      assert.equal(readFileSync(join(r.routerRoot, 'running-config'), 'utf8'), CONFIG);
      const link = lab.ip(lab.cli, '-o', 'link', 'show', 'dev', lab.cliIf);
      assert.doesNotMatch(link.replace(/@\S+/, ''), /<[^>]*\bUP\b[^>]*>/, `set down again: ${link}`);
    } finally {
      await lab.close();
    }
  });

  it('Mgmt4: unsigned onboarding information over a provisional connection is refused, nothing applied', async () => {
    const lab = createLab();
    try {
      const r = await scenario(lab, { fetcher: 'Mgmt4', signed: false, rogueServer: true });
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /SZTP_ERR_SERVER_UNSIGNED_FROM_UNTRUSTED/);
      assert.equal(existsSync(join(r.routerRoot, 'running-config')), false);
      assert.equal(
        lab.ip(lab.cli, '-o', 'addr', 'show', 'dev', lab.cliIf, 'scope', 'global').trim(),
        '',
        'leased address removed after the failure',
      );
    } finally {
      await lab.close();
    }
  });
});
