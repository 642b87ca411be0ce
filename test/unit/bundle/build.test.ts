/**
 * The artifact builder (src/bundle, `sztp-agent bundle`): output verifies with `openssl cms
 * -verify` (an independent verifier) and with our own pipeline, for RSA, P-256 and P-384 owners;
 * EN9 single/multi layouts; encryption to the device (RSA-OAEP, ECDH) decrypts with openssl and
 * with the pipeline; usage errors exit 2.
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runBundle, type BundleOptions } from '../../../src/cli/bundle.ts';
import { colonHex } from '../../../src/bundle/onboarding.ts';
import { decodeSztpTxt } from '../../../src/dns/txt.ts';
import { validateBootstrappingData } from '../../../src/validation/pipeline.ts';
import { FIXTURES_DIR, pemCertDer, pemKeyPkcs8 } from '../../support/fixtures.ts';
import { openssl } from '../../support/pki.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

const tmp = makeTempDir('bundle');
after(() => rmSync(tmp, { recursive: true, force: true }));
const SERIAL = 'SN-FIXTURE-0001';

async function bundle(o: BundleOptions): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runBundle(o, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

function inputs(kind: string, dir: string): BundleOptions {
  const pki = join(FIXTURES_DIR, kind, 'pki');
  writeFileSync(join(dir, 'config.txt'), 'hostname bundled\n');
  writeFileSync(join(dir, 'pre.sh'), '#!/bin/sh\necho pre\n');
  writeFileSync(join(dir, 'image.bin'), 'boot image bytes');
  return {
    ownerKey: join(pki, 'owner.key'),
    ownerCert: join(pki, 'owner.crt'),
    ownerChain: join(pki, 'owner-int.crt'),
    voucher: join(FIXTURES_DIR, kind, 'valid', 'ownership-voucher.vcj'),
    configuration: join(dir, 'config.txt'),
    configurationHandling: 'replace',
    preScript: join(dir, 'pre.sh'),
    bootImage: join(dir, 'image.bin'),
    osName: 'FixtureOS',
    osVersion: '2.0',
    downloadUri: ['https://a.example/i.bin', 'http://b.example/i.bin'],
  };
}

function ctx(kind: string): Parameters<typeof validateBootstrappingData>[1] {
  const pki = join(FIXTURES_DIR, kind, 'pki');
  return {
    voucherTrustAnchors: [pemCertDer(join(pki, 'masa-ca.crt'))],
    serialNumber: SERIAL,
    device: {
      certificate: pemCertDer(join(pki, 'idevid.crt')),
      chain: [],
      privateKeyPkcs8: pemKeyPkcs8(join(pki, 'idevid.key')),
    },
    now: new Date('2030-01-01T00:00:00Z'),
    policy: { acceptedAssertions: ['verified'], clockTrusted: true },
  };
}

const readArtifacts = (
  en9: string,
): { conveyedInformation: Uint8Array; ownerCertificate: Uint8Array; ownershipVoucher: Uint8Array } => ({
  conveyedInformation: readFileSync(join(en9, 'conveyed-information.cms')),
  ownerCertificate: readFileSync(join(en9, 'owner-certificate.cms')),
  ownershipVoucher: readFileSync(join(en9, 'ownership-voucher.vcj')),
});

for (const kind of ['rsa', 'p256', 'p384']) {
  describe(`bundle (${kind})`, () => {
    const dir = mkdtempSync(join(tmp, `${kind}-`));
    const pki = join(FIXTURES_DIR, kind, 'pki');

    test('single layout: openssl cms -verify accepts it and the pipeline validates it', async () => {
      const r = await bundle({ ...inputs(kind, dir), out: join(dir, 'usb') });
      assert.equal(r.code, 0, r.err);
      const en9 = join(dir, 'usb', 'EN9');
      // openssl: the owner bag holds the chain; verify CI against the pinned root with it.
      const chainPem = join(dir, 'chain.pem');
      writeFileSync(
        chainPem,
        openssl(['pkcs7', '-inform', 'DER', '-in', join(en9, 'owner-certificate.cms'), '-print_certs']),
      );
      // openssl 3.0 `cms -verify` does not use -certfile for chain building: trust root + intermediate.
      const caFile = join(dir, 'ca.pem');
      writeFileSync(
        caFile,
        Buffer.concat([readFileSync(join(pki, 'owner-root.crt')), readFileSync(join(pki, 'owner-int.crt'))]),
      );
      const content = openssl([
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-in',
        join(en9, 'conveyed-information.cms'),
        '-CAfile',
        caFile,
        '-certfile',
        chainPem,
        '-binary',
        '-purpose',
        'any',
      ]);
      const doc = JSON.parse(content.toString('utf8')) as Record<string, Record<string, unknown>>;
      const ob = doc['ietf-sztp-conveyed-info:onboarding-information'];
      assert.equal(ob?.['configuration-handling'], 'replace');
      assert.match(
        openssl([
          'cms',
          '-cmsout',
          '-print',
          '-inform',
          'DER',
          '-in',
          join(en9, 'conveyed-information.cms'),
        ]).toString(),
        /eContentType: .*1\.2\.840\.113549\.1\.9\.16\.1\.43/,
      );
      assert.deepEqual(readFileSync(join(en9, 'ownership-voucher.vcj')), readFileSync(inputs(kind, dir).voucher ?? ''));
      const v = await validateBootstrappingData(readArtifacts(en9), ctx(kind));
      assert.equal(v.signed, true);
      assert.ok(v.kind === 'onboarding-information');
      assert.equal(Buffer.from(v.onboarding.configuration ?? []).toString(), 'hostname bundled\n');
      assert.equal(v.onboarding.bootImage?.osVersion, '2.0');
      assert.deepEqual(v.onboarding.bootImage?.downloadUris, ['https://a.example/i.bin', 'http://b.example/i.bin']);
      const expected = createHash('sha256').update('boot image bytes').digest();
      assert.equal(
        colonHex(v.onboarding.bootImage?.imageVerification[0]?.hashValue ?? new Uint8Array()),
        colonHex(expected),
      );
    });

    test('multi layout + encryption to the device: openssl decrypts it, the pipeline validates it (AT-50)', async () => {
      const r = await bundle({
        ...inputs(kind, dir),
        out: join(dir, 'multi'),
        layout: 'multi',
        serial: SERIAL,
        encryptTo: join(pki, 'idevid.crt'),
      });
      assert.equal(r.code, 0, r.err);
      const d = join(dir, 'multi', 'EN9', SERIAL, 'bootstrapping-data');
      assert.ok(existsSync(join(d, 'conveyed-information.cms')));
      const plain = openssl([
        'cms',
        '-decrypt',
        '-inform',
        'DER',
        '-in',
        join(d, 'conveyed-information.cms'),
        '-inkey',
        join(pki, 'idevid.key'),
        '-recip',
        join(pki, 'idevid.crt'),
        '-binary',
      ]);
      assert.equal(plain[0], 0x30);
      const v = await validateBootstrappingData(readArtifacts(d), ctx(kind));
      assert.equal(v.kind, 'onboarding-information');
      const other = {
        ...ctx(kind),
        device: {
          certificate: pemCertDer(join(pki, 'other-device.crt')),
          chain: [],
          privateKeyPkcs8: pemKeyPkcs8(join(pki, 'other-device.key')),
        },
      };
      await assert.rejects(validateBootstrappingData(readArtifacts(d), other), {
        code: 'SZTP_ERR_CMS_DECRYPT',
        step: 'conveyed-information',
      });
    });
  });
}

describe('bundle usage', () => {
  test('missing required options, unreadable files, multi without serial → exit 2', async () => {
    const dir = mkdtempSync(join(tmp, 'usage-'));
    assert.equal((await bundle({ out: dir })).code, 2);
    assert.equal((await bundle({ ...inputs('p256', dir), out: dir, layout: 'multi' })).code, 2);
    assert.equal((await bundle({ ...inputs('p256', dir), out: dir, configuration: '/nonexistent/config' })).code, 2);
    const { bootImage: _unused, ...noImage } = inputs('p256', dir);
    const r = await bundle({ ...noImage, bootImageSha256: 'zz', out: dir });
    assert.equal(r.code, 2);
  });
  test('a key that does not match the owner certificate is refused', async () => {
    const dir = mkdtempSync(join(tmp, 'mismatch-'));
    const r = await bundle({
      ...inputs('p256', dir),
      ownerKey: join(FIXTURES_DIR, 'p256', 'pki', 'masa.key'),
      out: dir,
    });
    assert.equal(r.code, 2);
    assert.match(r.err, /does not match/);
  });
  test('--document signs a ready redirect-information document', async () => {
    const dir = mkdtempSync(join(tmp, 'doc-'));
    writeFileSync(
      join(dir, 'r.json'),
      JSON.stringify({
        'ietf-sztp-conveyed-info:redirect-information': { 'bootstrap-server': [{ address: '192.0.2.7', port: 8443 }] },
      }),
    );
    const r = await bundle({ ...inputs('p256', dir), document: join(dir, 'r.json'), out: dir });
    assert.equal(r.code, 0, r.err);
    const v = await validateBootstrappingData(readArtifacts(join(dir, 'EN9')), ctx('p256'));
    assert.ok(v.kind === 'redirect-information' && v.redirect.bootstrapServers[0]?.port === 8443);
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({ 'ietf-sztp-conveyed-info:redirect-information': { 'bootstrap-server': [] } }),
    );
    assert.equal((await bundle({ ...inputs('p256', dir), document: join(dir, 'bad.json'), out: dir })).code, 1);
  });
});

describe('bundle --dns-zone (RFC 8572 §4.2.2)', () => {
  test('prints the TXT record of the bundle: zone file and dnsmasq dns-rr, which decode to the written artifacts', async () => {
    const dir = mkdtempSync(join(tmp, 'dns-'));
    const r = await bundle({ ...inputs('p256', dir), out: dir, serial: SERIAL, dnsZone: 'example.test.' });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^${SERIAL}\\._sztp\\.example\\.test\\. 3600 IN TXT \\( "ci=0`, 'm'));
    const hex = /^dns-rr=([^,]+),16,([0-9a-f]+)$/m.exec(r.out);
    assert.ok(hex, r.out);
    assert.equal(hex[1], `${SERIAL}._sztp.example.test`);
    const rdata = Buffer.from(hex[2] ?? '', 'hex');
    const strings: Uint8Array[] = [];
    for (let p = 0; p < rdata.length; p += 1 + (rdata[p] ?? 0))
      strings.push(rdata.subarray(p + 1, p + 1 + (rdata[p] ?? 0)));
    const got = decodeSztpTxt([strings]);
    const want = readArtifacts(join(dir, 'EN9'));
    assert.deepEqual(Buffer.from(got.conveyedInformation!), Buffer.from(want.conveyedInformation));
    assert.deepEqual(Buffer.from(got.ownerCertificate!), Buffer.from(want.ownerCertificate));
    assert.deepEqual(Buffer.from(got.ownershipVoucher!), Buffer.from(want.ownershipVoucher));
  });

  test('--dns-zone without --serial is a usage error', async () => {
    const dir = mkdtempSync(join(tmp, 'dns-'));
    assert.equal((await bundle({ ...inputs('p256', dir), out: dir, dnsZone: 'example.test' })).code, 2);
  });
});

describe('bundle refuses a voucher signed by a device identity (issue 11 item 1)', () => {
  test("openssl-made voucher signed by another device's IDevID / by a TLS-only certificate: exit 1, nothing written", async () => {
    for (const variant of ['voucher-signed-by-other-device', 'voucher-signer-tls-only']) {
      const dir = mkdtempSync(join(tmp, `${variant}-`));
      const r = await bundle({
        ...inputs('p256', dir),
        voucher: join(FIXTURES_DIR, 'p256', variant, 'ownership-voucher.vcj'),
        out: join(dir, 'usb'),
      });
      assert.equal(r.code, 1, variant);
      assert.match(
        r.err,
        /error SZTP_ERR_VOUCHER_SIGNER_DEVICE: bundle: the voucher signer .*(serialNumber|limited to TLS)/,
      );
      assert.equal(existsSync(join(dir, 'usb')), false);
    }
  });
});

describe('bundle (spawned binary)', () => {
  test('the real entry point writes a bundle whose configuration survives (no clash with the global --config)', async () => {
    const dir = mkdtempSync(join(tmp, 'spawn-'));
    const o = inputs('p256', dir);
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, '..', '..', '..', 'src', 'cli.ts'),
        'bundle',
        '--owner-key',
        o.ownerKey ?? '',
        '--owner-cert',
        o.ownerCert ?? '',
        '--owner-chain',
        o.ownerChain ?? '',
        '--voucher',
        o.voucher ?? '',
        '--configuration',
        o.configuration ?? '',
        '--configuration-handling',
        'merge',
        '--out',
        join(dir, 'usb'),
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const v = await validateBootstrappingData(readArtifacts(join(dir, 'usb', 'EN9')), ctx('p256'));
    assert.ok(v.kind === 'onboarding-information');
    assert.equal(Buffer.from(v.onboarding.configuration ?? []).toString(), 'hostname bundled\n');
    assert.equal(v.onboarding.configurationHandling, 'merge');
  });
});
