/**
 * Issue 11 items 7 and 8 end to end through the real CLI with openssl-made artifacts:
 * - RFC 8572 §5.6 / C-114: after an onboarding error from bootstrap server A (a failing
 *   pre-configuration script), entry B of the same list is tried before the next fetcher; the
 *   same with two USB sticks;
 * - bounded redirect fan-out: 20 real mTLS servers, each answering with untrusted redirect
 *   information listing all 20: the walk stays within the entry cap and the visited set (and
 *   max_exchanges_per_walk when set low), and ends promptly.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unsignedReply } from '../support/bootstrap-fixtures.ts';
import { TestBootstrapServer } from '../support/bootstrap-server.ts';
import { makeSignedBundle, makeTestPki, onboardingJson, writeEn9, ztpIni, type TestPki } from '../support/pki.ts';
import { cli } from './cli-helpers.ts';

let dir: string;
let pki: TestPki;
const servers: TestBootstrapServer[] = [];
const FAILING_PRE = '#!/bin/sh\necho "pre-script refuses" >&2\nexit 1\n';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sztp-i11-loop-'));
  pki = makeTestPki(join(dir, 'pki'), 'p256', 'SN-LOOP-1');
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function server(at: { host?: string; port?: number } = {}): Promise<TestBootstrapServer> {
  const s = await new TestBootstrapServer({
    cert: readFileSync(pki.server.cert),
    key: readFileSync(pki.server.key),
    clientCa: readFileSync(pki.manufacturer.cert),
    ...at,
  }).start();
  servers.push(s);
  return s;
}
const unsigned = (doc: unknown): ReturnType<typeof unsignedReply> => unsignedReply(doc, 'verbose');

function device(name: string, sections: Record<string, Record<string, string>>): { ini: string; router: string } {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const router = join(d, 'router');
  const ini = join(d, 'ztp.ini');
  writeFileSync(
    ini,
    ztpIni(pki, join(d, 'state'), {
      Router: { adapter: 'simulated', root: router, os_name: 'SimOS', os_version: '1.0', hw_model: 'sim-1' },
      Onboarding: { script_timeout_seconds: '20' },
      ...sections,
    }),
  );
  return { ini, router };
}

describe('return to the enclosing loop (RFC 8572 §5.6, C-114)', () => {
  test('bootstrap servers: A fails at its pre-script, B of the same list onboards', async () => {
    const a = await server();
    const b = await server();
    // Unsigned onboarding information from a TLS-authenticated server (trusted: bootstrap_trust_anchors).
    a.onGetBootstrappingData = () =>
      unsigned(
        onboardingJson({
          preScript: FAILING_PRE,
          configuration: 'hostname from-a\n',
          configurationHandling: 'replace',
        }),
      );
    b.onGetBootstrappingData = () =>
      unsigned(onboardingJson({ configuration: 'hostname from-b\n', configurationHandling: 'replace' }));
    const d = device('servers', {
      'Fetcher Priority': { Server: '0' },
      Bootstrap: { servers: `${a.url}, ${b.url}`, nonce: 'False' },
    });
    const r = await cli(['--config', d.ini, 'run', '--once']);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.equal(readFileSync(join(d.router, 'running-config'), 'utf8'), 'hostname from-b\n');
    assert.ok(a.progressReports().includes('pre-script-error'), `A: ${a.progressReports().join(' ')}`);
    assert.equal(a.progressReports().includes('bootstrap-complete'), false);
    assert.equal(b.progressReports().at(-1), 'bootstrap-complete');
    assert.equal(a.bootstrapRequests().length, 1, 'A is not retried');
  });

  test('USB: the first stick fails at its pre-script, the second stick onboards', async () => {
    const stick1 = join(dir, 'stick1');
    const stick2 = join(dir, 'stick2');
    writeEn9(
      stick1,
      makeSignedBundle(
        pki,
        onboardingJson({
          preScript: FAILING_PRE,
          configuration: 'hostname stick1\n',
          configurationHandling: 'replace',
        }),
      ),
    );
    writeEn9(
      stick2,
      makeSignedBundle(pki, onboardingJson({ configuration: 'hostname stick2\n', configurationHandling: 'replace' })),
    );
    const d = device('usb', { 'Fetcher Priority': { USB: '0' }, USB: { mount_points: `${stick1}, ${stick2}` } });
    const r = await cli(['--config', d.ini, 'run', '--once']);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.equal(readFileSync(join(d.router, 'running-config'), 'utf8'), 'hostname stick2\n');
    assert.match(r.stderr, /SZTP_ERR_SCRIPT/);
  });
});

describe('bounded redirect fan-out (issue 11 item 8)', () => {
  let fan: TestBootstrapServer[] = [];
  before(async () => {
    // One server per loopback address 127.0.0.2 … 127.0.0.21, all on the same port (addresses of a
    // redirect list are unique, as the YANG list key requires).
    const first = await server({ host: '127.0.0.2' });
    fan = [
      first,
      ...(await Promise.all(
        Array.from({ length: 19 }, (_, i) => server({ host: `127.0.0.${i + 3}`, port: first.port })),
      )),
    ];
    const list = {
      'ietf-sztp-conveyed-info:redirect-information': {
        'bootstrap-server': fan.map((_, i) => ({ address: `127.0.0.${i + 2}`, port: first.port })),
      },
    };
    for (const s of fan) s.onGetBootstrappingData = () => unsigned(list);
  });
  const total = (): number => fan.reduce((n, s) => n + s.bootstrapRequests().length, 0);
  const reset = (): void => {
    for (const s of fan) s.requests.length = 0;
  };

  test(
    '20 provisional servers each listing all 20: entry cap and visited set keep the walk small; it ends promptly',
    { timeout: 120_000 },
    async () => {
      reset();
      // No bootstrap_trust_anchors: every server is contacted provisionally, its redirect information is untrusted.
      const d = device('fan', {
        'Fetcher Priority': { Server: '0' },
        Bootstrap: { servers: fan[0]?.url ?? '', nonce: 'False', response_timeout_seconds: '5' },
        Device: { bootstrap_trust_anchors: '' },
      });
      const started = Date.now();
      const r = await cli(['--config', d.ini, 'run', '--once']);
      assert.equal(r.code, 1, r.stderr.slice(-2000));
      assert.ok(total() <= 9, `${total()} exchanges (1 + at most 8 untrusted entries, each server once)`);
      assert.ok(
        fan.every((s) => s.bootstrapRequests().length <= 1),
        'no server is asked twice in one walk',
      );
      assert.match(r.stderr, /only the first 8 are used/);
      assert.ok(Date.now() - started < 60_000);
    },
  );

  test('max_exchanges_per_walk caps the whole walk (SZTP_ERR_SERVER_BUDGET)', { timeout: 120_000 }, async () => {
    reset();
    const d = device('budget', {
      'Fetcher Priority': { Server: '0' },
      Bootstrap: { servers: fan[0]?.url ?? '', nonce: 'False', max_exchanges_per_walk: '3' },
      Device: { bootstrap_trust_anchors: '' },
    });
    const r = await cli(['--config', d.ini, 'run', '--once']);
    assert.equal(r.code, 1);
    assert.equal(total(), 3);
    assert.match(r.stderr, /SZTP_ERR_SERVER_BUDGET/);
  });

  test('max_redirect_depth: the schema and the enforced bound agree (0..10; 11 is a configuration error)', async () => {
    const d = device('depth', { Bootstrap: { max_redirect_depth: '11' } });
    const r = await cli(['--config', d.ini, 'config']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /max_redirect_depth.*SZTP_ERR_CONFIG_VALUE|SZTP_ERR_CONFIG_VALUE[\s\S]*max_redirect_depth/);
  });
});
