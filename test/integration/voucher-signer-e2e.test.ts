/**
 * Issue 11 item 1, end to end through the real CLI: the common set-up where the manufacturer root
 * configured as `voucher_trust_anchors` also issues the IDevIDs. Another device's IDevID key (made
 * with openssl) signs a voucher for THIS device's serial pinning the attacker's owner CA; the
 * attacker's configuration arrives on a USB stick and from a real mTLS bootstrap server. The
 * agent must refuse it (SZTP_ERR_VOUCHER_SIGNER_DEVICE) and leave the router untouched; `config`
 * and `run` warn about the set-up, `strict_voucher_signer` refuses to start, and `voucher_signers`
 * lets the real MASA through.
 * @module
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TestBootstrapServer, bootstrappingReply } from '../support/bootstrap-server.ts';
import {
  OID_VOUCHER,
  certDer,
  cmsSign,
  issueCert,
  makeCa,
  makeSignedBundle,
  makeTestPki,
  onboardingJson,
  openssl,
  voucherJson,
  writeEn9,
  ztpIni,
  type Bundle,
  type CertFiles,
  type TestPki,
} from '../support/pki.ts';
import { cli } from './cli-helpers.ts';

let dir: string;
let pki: TestPki;
let hostile: Bundle;
let server: TestBootstrapServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sztp-i11-signer-'));
  pki = makeTestPki(join(dir, 'pki'), 'p256', 'SN-VICTIM-1');
  const p = join(dir, 'pki');
  // Root on another device under the same manufacturer root: its IDevID and key.
  const other: CertFiles = issueCert(
    p,
    'other-device',
    'p256',
    pki.manufacturer,
    '/CN=device/serialNumber=SN-ATTACKER-9',
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyAgreement',
      'extendedKeyUsage=clientAuth',
    ],
  );
  const evilCa = makeCa(p, 'evil-owner-ca', 'p256');
  const evilOwner = issueCert(p, 'evil-owner', 'p256', evilCa, '/CN=evil-owner', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
  ]);
  const voucher = voucherJson(pki, { pinnedDomainCert: certDer(evilCa.cert).toString('base64') });
  hostile = {
    ownershipVoucher: cmsSign(JSON.stringify(voucher), other, OID_VOUCHER, ['-certfile', pki.manufacturer.cert]),
    ownerCertificate: openssl([
      'crl2pkcs7',
      '-nocrl',
      '-certfile',
      evilOwner.cert,
      '-certfile',
      evilCa.cert,
      '-outform',
      'DER',
    ]),
    conveyedInformation: cmsSign(
      JSON.stringify(onboardingJson({ configuration: 'hostname pwned\n', configurationHandling: 'replace' })),
      evilOwner,
      '1.2.840.113549.1.9.16.1.43',
      ['-nocerts'],
    ),
  };
  server = await new TestBootstrapServer({
    cert: readFileSync(pki.server.cert),
    key: readFileSync(pki.server.key),
    clientCa: readFileSync(pki.manufacturer.cert),
  }).start();
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A device whose voucher trust anchor is the manufacturer root that also issued its IDevID. */
function device(name: string, sections: Record<string, Record<string, string>>): { ini: string; router: string } {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const router = join(d, 'router');
  const ini = join(d, 'ztp.ini');
  writeFileSync(
    ini,
    ztpIni(pki, join(d, 'state'), {
      Router: { adapter: 'simulated', root: router, os_name: 'SimOS', os_version: '1.0', hw_model: 'sim-1' },
      ...sections,
      Device: { ...ztpDevice(), voucher_trust_anchors: pki.manufacturer.cert, ...sections.Device },
    }),
  );
  return { ini, router };
}
const ztpDevice = (): Record<string, string> => ({
  serial_number: pki.serial,
  idevid_cert: pki.device.cert,
  idevid_key: pki.device.key,
  bootstrap_trust_anchors: pki.serverCa.cert,
});

test('USB: a voucher signed by another device under the manufacturer root is refused; nothing is applied', async () => {
  const stick = join(dir, 'stick-hostile');
  writeEn9(stick, hostile);
  const d = device('usb', { 'Fetcher Priority': { USB: '0' }, USB: { mount_points: stick } });
  const r = await cli(['--config', d.ini, 'run', '--once']);
  assert.equal(r.code, 1, r.stderr.slice(-2000));
  assert.match(r.stderr, /SZTP_ERR_VOUCHER_SIGNER_DEVICE/);
  assert.match(r.stderr, /WARNING: the IDevID chains to a voucher trust anchor/);
  assert.equal(existsSync(join(d.router, 'running-config')), false);
});

test('mTLS bootstrap server: the same hostile artifacts are refused; nothing is applied', async () => {
  server.onGetBootstrappingData = () => bootstrappingReply(hostile);
  const d = device('server', {
    'Fetcher Priority': { Server: '0' },
    Bootstrap: { servers: server.url, nonce: 'False' },
  });
  const r = await cli(['--config', d.ini, 'run', '--once']);
  assert.equal(r.code, 1, r.stderr.slice(-2000));
  assert.match(r.stderr, /SZTP_ERR_VOUCHER_SIGNER_DEVICE/);
  assert.equal(existsSync(join(d.router, 'running-config')), false);
  const gbd = server.bootstrapRequests().at(-1);
  assert.equal(gbd?.authorized, true, 'the device authenticated with its IDevID (mutual TLS)');
});

test('config warns about the set-up; strict_voucher_signer refuses config and run (exit 2)', async () => {
  const warn = device('warn', { 'Fetcher Priority': { USB: '0' }, USB: { mount_points: join(dir, 'none') } });
  const c = await cli(['--config', warn.ini, 'config']);
  assert.equal(c.code, 0);
  assert.match(c.stderr, /WARNING SZTP_ERR_VOUCHER_SIGNER_UNPINNED: .*voucher_signers/);
  const strict = device('strict', {
    'Fetcher Priority': { USB: '0' },
    USB: { mount_points: join(dir, 'none') },
    Device: { strict_voucher_signer: 'True' },
  });
  const sc = await cli(['--config', strict.ini, 'config']);
  assert.equal(sc.code, 2);
  assert.match(sc.stderr, /error SZTP_ERR_VOUCHER_SIGNER_UNPINNED/);
  const sr = await cli(['--config', strict.ini, 'run', '--once']);
  assert.equal(sr.code, 2);
  assert.match(sr.stderr, /error SZTP_ERR_VOUCHER_SIGNER_UNPINNED: refusing to start/);
});

test('voucher_signers (the MASA certificate, or its key identifier): the real MASA voucher onboards, no warning', async () => {
  const stick = join(dir, 'stick-good');
  writeEn9(
    stick,
    makeSignedBundle(pki, onboardingJson({ configuration: 'hostname good\n', configurationHandling: 'replace' })),
  );
  const ski =
    openssl(['x509', '-in', pki.masa.cert, '-noout', '-ext', 'subjectKeyIdentifier'])
      .toString()
      .split('\n')[1]
      ?.trim() ?? '';
  for (const [name, signers] of [
    ['by-file', pki.masa.cert],
    ['by-ski', ski],
  ] as const) {
    // The MASA is issued by its own CA here; the anchors hold both roots, as a manufacturer bundle would.
    const anchors = join(dir, `anchors-${name}.pem`);
    writeFileSync(anchors, readFileSync(pki.manufacturer.cert, 'utf8') + readFileSync(pki.masaCa.cert, 'utf8'));
    const d = device(`good-${name}`, {
      'Fetcher Priority': { USB: '0' },
      USB: { mount_points: stick },
      Device: { voucher_signers: signers, voucher_trust_anchors: anchors },
    });
    const r = await cli(['--config', d.ini, 'run', '--once']);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.doesNotMatch(r.stderr, /WARNING/);
    assert.equal(readFileSync(join(d.router, 'running-config'), 'utf8'), 'hostname good\n');
  }
});
