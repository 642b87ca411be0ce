/**
 * Cisco SUDI interop through the real binary: an openssl-made IDevID whose subject serialNumber is
 * `PID:C9300-24T SN:FCW2126G05V`, a voucher for the chassis serial `FCW2126G05V`, and
 * `[Device] serial_number: FCW2126G05V`. Over USB (per-serial `EN9/FCW2126G05V/` directory) and
 * over the mutual-TLS test bootstrap server, the device onboards; a voucher for the whole SUDI
 * string or another chassis is refused (RFC 8572 T-29: the serial still names the TLS client
 * certificate's device).
 * @module
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { signedReply, SIMPLE_ONBOARDING } from '../support/bootstrap-fixtures.ts';
import { startBootstrapServer, type TestBootstrapServer } from '../support/bootstrap-server.ts';
import { makeSignedBundle, makeTestPki, onboardingJson, ztpIni, type TestPki } from '../support/pki.ts';
import { cli, logLines } from './cli-helpers.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const CHASSIS = 'FCW2126G05V';
const SUDI = `PID:C9300-24T SN:${CHASSIS}`;

let dir: string;
let pki: TestPki;
before(() => {
  dir = makeTempDir('sudi');
  pki = makeTestPki(join(dir, 'pki'), 'rsa', CHASSIS, SUDI);
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const router = (root: string): Record<string, string> => ({
  adapter: 'simulated',
  root,
  os_name: 'IOS-XE',
  os_version: '17.18.1',
  hw_model: 'C9300-24T',
});

function usbDevice(name: string, voucherSerial: string): { ini: string; routerRoot: string } {
  const box = join(dir, name);
  const en9root = join(box, 'usb', 'EN9', CHASSIS, 'bootstrapping-data');
  mkdirSync(en9root, { recursive: true });
  const bundle = makeSignedBundle(
    pki,
    onboardingJson({ configuration: `hostname ${name}\n`, configurationHandling: 'replace' }),
    { serial: voucherSerial },
  );
  writeFileSync(join(en9root, 'conveyed-information.cms'), bundle.conveyedInformation);
  writeFileSync(join(en9root, 'owner-certificate.cms'), bundle.ownerCertificate);
  writeFileSync(join(en9root, 'ownership-voucher.vcj'), bundle.ownershipVoucher);
  const ini = join(box, 'ztp.ini');
  const routerRoot = join(box, 'router');
  writeFileSync(
    ini,
    ztpIni(pki, join(box, 'state'), {
      'Fetcher Priority': { USB: '0' },
      USB: { mount_points: join(box, 'usb') },
      Router: router(routerRoot),
    }),
  );
  return { ini, routerRoot };
}

test('USB: SUDI IDevID + voucher for the chassis serial + serial_number = SN token → onboarded from EN9/<chassis>/', async () => {
  const d = usbDevice('usb-ok', CHASSIS);
  const r = await cli(['--config', d.ini, 'run', '--once']);
  assert.equal(r.code, 0, r.stderr.slice(-3000));
  assert.equal(readFileSync(join(d.routerRoot, 'running-config'), 'utf8'), 'hostname usb-ok\n');
  const lines = logLines(r.stderr);
  assert.ok(lines.some((l) => l.msg === 'secure ZTP started' && l.serialNumber === CHASSIS));
  assert.ok(
    lines.some((l) => l.subjectSerialNumber === SUDI && l.serialNumber === CHASSIS),
    'the derivation is logged',
  );
});

test('USB: a voucher naming the whole SUDI string, or another chassis, is refused (SZTP_ERR_VOUCHER_SERIAL_MISMATCH)', async () => {
  for (const [name, serial] of [
    ['usb-whole', SUDI],
    ['usb-other', 'FCW2126G05W'],
  ] as const) {
    const d = usbDevice(name, serial);
    const r = await cli(['--config', d.ini, 'run', '--once']);
    assert.equal(r.code, 1, r.stderr.slice(-2000));
    assert.match(r.stderr, /SZTP_ERR_VOUCHER_SERIAL_MISMATCH/, name);
  }
});

test('bootstrap server (mutual TLS): the server sees the SUDI client certificate, the voucher names the chassis → onboarded', async () => {
  const server: TestBootstrapServer = await startBootstrapServer({
    cert: readFileSync(pki.server.cert),
    key: readFileSync(pki.server.key),
    clientCa: readFileSync(pki.manufacturer.cert),
  });
  try {
    // Like SZTPD, the server keys the device by its client certificate; it answers with signed data for the chassis.
    server.onGetBootstrappingData = (req) =>
      req.authorized && req.clientSerial === SUDI
        ? signedReply(pki, SIMPLE_ONBOARDING, { serial: CHASSIS })
        : undefined;
    const box = join(dir, 'server');
    const routerRoot = join(box, 'router');
    const ini = join(box, 'ztp.ini');
    mkdirSync(box, { recursive: true });
    writeFileSync(
      ini,
      ztpIni(pki, join(box, 'state'), {
        'Fetcher Priority': { Server: '0' },
        Bootstrap: { servers: server.url, nonce: 'False' },
        Router: router(routerRoot),
      }),
    );
    const r = await cli(['--config', ini, 'run', '--once']);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.equal(readFileSync(join(routerRoot, 'running-config'), 'utf8'), 'hostname r1\n');
    assert.equal(server.bootstrapRequests().length, 1);
    assert.ok(server.progressReports().includes('bootstrap-complete'));
  } finally {
    await server.close();
  }
});
