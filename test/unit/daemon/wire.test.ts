/**
 * The composition root with real parts: openssl-made IDevID and trust anchors, the simulated
 * adapter, the real fetcher registry. The serial number comes from [Device] serial_number, else
 * the IDevID subject serialNumber, else the adapter, else SZTP_ERR_DEVICE_IDENTITY.
 * @module
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { parseConfigText } from '../../../src/config/load.ts';
import { buildRuntime, openStore, resolveSerial } from '../../../src/daemon/wire.ts';
import { loadDeviceCredentials } from '../../../src/platform/credentials.ts';
import { certDer, makeTestPki, type TestPki } from '../../support/pki.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

let dir: string;
let pki: TestPki;
before(() => {
  dir = makeTempDir('wire');
  pki = makeTestPki(join(dir, 'pki'), 'p256', 'SN-WIRE-7');
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const silent = pino({ level: 'silent' });

function ini(device: string, fetchers = 'USB: 0\nServer: 1'): string {
  return `[Fetcher Priority]\n${fetchers}\n[Device]\n${device}\n[Router]\nadapter: simulated\nroot: router\nos_name: SimOS\nos_version: 2.0\nhw_model: sim-9\n[Agent]\nstate_dir: state\n`;
}

test('buildRuntime: IDevID serial, credentials, anchors in the trust context, fetchers in order', async () => {
  const config = parseConfigText(
    ini(
      `idevid_cert: ${pki.device.cert}\nidevid_key: ${pki.device.key}\nvoucher_trust_anchors: ${pki.masaCa.cert}\nbootstrap_trust_anchors: ${pki.serverCa.cert}\naccepted_assertions: verified, logged\nclock_trusted: no`,
    ),
    join(dir, 'ztp.ini'),
  );
  const rt = await buildRuntime(config, silent, openStore(config, silent), () => new Date('2026-03-04T05:06:07Z'));
  assert.equal(rt.identity.serialNumber, 'SN-WIRE-7');
  assert.equal(rt.identity.osName, 'SimOS');
  assert.equal(rt.identity.hwModel, 'sim-9');
  assert.deepEqual(
    rt.fetchers.map((f) => f.name),
    ['USB', 'Server'],
  );
  const ctx = rt.fetchContext(new AbortController().signal);
  const nonce = new Uint8Array([1, 2, 3]);
  const tc = ctx.trustContext(nonce);
  assert.equal(tc.serialNumber, 'SN-WIRE-7');
  assert.deepEqual(
    tc.voucherTrustAnchors.map((d) => Buffer.from(d)),
    [certDer(pki.masaCa.cert)],
  );
  assert.deepEqual(tc.nonce, nonce);
  assert.deepEqual(tc.policy, { acceptedAssertions: ['verified', 'logged'], clockTrusted: false });
  assert.equal(tc.now.toISOString(), '2026-03-04T05:06:07.000Z');
  assert.ok(tc.device?.privateKeyPkcs8 !== undefined);
  assert.equal('nonce' in ctx.trustContext(), false);
  assert.equal(rt.adapter.name, 'simulated');
});

test('[Device] serial_number wins over the adapter but never contradicts the IDevID; nothing → SZTP_ERR_DEVICE_IDENTITY', async () => {
  const creds = await loadDeviceCredentials(pki.device.cert);
  const base = parseConfigText(ini(''), join(dir, 'ztp.ini'));
  const withSerial = parseConfigText(ini('serial_number: CONFIGURED'), join(dir, 'ztp.ini'));
  const sameAsIdevid = parseConfigText(ini('serial_number: SN-WIRE-7'), join(dir, 'ztp.ini'));
  const id = { hwModel: 'h', osName: 'o', osVersion: 'v' };
  assert.equal(resolveSerial(withSerial, undefined, { ...id, serialNumber: 'ADAPTER' }), 'CONFIGURED');
  assert.equal(resolveSerial(sameAsIdevid, creds, { ...id, serialNumber: 'ADAPTER' }), 'SN-WIRE-7');
  assert.throws(
    () => resolveSerial(withSerial, creds, { ...id, serialNumber: 'ADAPTER' }),
    { code: 'SZTP_ERR_DEVICE_IDENTITY' },
    'T-29: a configured serial that contradicts the IDevID',
  );
  assert.equal(resolveSerial(base, creds, { ...id, serialNumber: 'ADAPTER' }), 'SN-WIRE-7');
  assert.equal(resolveSerial(base, undefined, { ...id, serialNumber: 'ADAPTER' }), 'ADAPTER');
  assert.throws(() => resolveSerial(base, undefined, id), { code: 'SZTP_ERR_DEVICE_IDENTITY' });
  await assert.rejects(buildRuntime(base, silent, openStore(base, silent)), { code: 'SZTP_ERR_DEVICE_IDENTITY' });
});

test('Cisco SUDI IDevID (openssl-made, subject serialNumber "PID:C9300-24T SN:FCW2126G05V"): the SN token is the serial everywhere', async () => {
  const sudi = makeTestPki(join(dir, 'sudi'), 'p256', 'FCW2126G05V', 'PID:C9300-24T SN:FCW2126G05V');
  const creds = await loadDeviceCredentials(sudi.device.cert);
  const id = { hwModel: 'C9300-24T', osName: 'IOS-XE', osVersion: '17.18.1', serialNumber: 'ADAPTER' };
  const at = (device: string) => parseConfigText(ini(device), join(dir, 'ztp.ini'));
  assert.equal(resolveSerial(at(''), creds, id), 'FCW2126G05V');
  assert.equal(
    resolveSerial(at('serial_number: FCW2126G05V'), creds, id),
    'FCW2126G05V',
    'the SN token configured is no contradiction',
  );
  assert.equal(
    resolveSerial(at('serial_number: PID:C9300-24T SN:FCW2126G05V'), creds, id),
    'FCW2126G05V',
    'the value as written is no contradiction either',
  );
  for (const other of ['FCW2126G05W', 'PID:C9300-24T', 'PID:C9300-48P SN:FCW2126G05V']) {
    assert.throws(
      () => resolveSerial(at(`serial_number: ${other}`), creds, id),
      { code: 'SZTP_ERR_DEVICE_IDENTITY' },
      other,
    );
  }
  const config = parseConfigText(
    ini(
      `serial_number: FCW2126G05V\nidevid_cert: ${sudi.device.cert}\nidevid_key: ${sudi.device.key}\nvoucher_trust_anchors: ${sudi.masaCa.cert}`,
    ),
    join(dir, 'ztp.ini'),
  );
  const rt = await buildRuntime(config, silent, openStore(config, silent));
  const ctx = rt.fetchContext(new AbortController().signal);
  // One serial for the voucher check, the USB directory / DHCP client identifier and the RESTCONF side.
  assert.equal(rt.identity.serialNumber, 'FCW2126G05V');
  assert.equal(ctx.identity.serialNumber, 'FCW2126G05V');
  assert.equal(ctx.trustContext().serialNumber, 'FCW2126G05V');
});

test('missing credential files are configuration errors (SZTP_ERR_CONFIG_FILE)', async () => {
  for (const device of [
    `idevid_cert: ${join(dir, 'absent.pem')}`,
    `serial_number: X\nvoucher_trust_anchors: ${join(dir, 'absent.pem')}`,
    `serial_number: X\nidevid_key: ${pki.device.key}`,
  ]) {
    const config = parseConfigText(ini(device), join(dir, 'ztp.ini'));
    await assert.rejects(
      buildRuntime(config, silent, openStore(config, silent)),
      { code: 'SZTP_ERR_CONFIG_FILE' },
      device,
    );
  }
});
