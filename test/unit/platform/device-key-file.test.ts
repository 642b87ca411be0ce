/**
 * The `file` DeviceKey: signatures verify with the public key, RSA-OAEP unwraps what openssl
 * `pkeyutl` encrypted, ECDH agrees with openssl `pkeyutl -derive`, TLS options carry the PEM, and a
 * CSR signed through the port (RFC 9646, X-03) passes `openssl req -verify` for RSA and EC keys.
 * @module
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { signCsr } from '../../../src/bootstrap/csr.ts';
import { deviceKeyOf, fileDeviceKey } from '../../../src/platform/device-key-file.ts';
import { pemKeyPkcs8 } from '../../support/fixtures.ts';
import { makeCa, openssl } from '../../support/pki.ts';

const dir = mkdtempSync(join(tmpdir(), 'sztp-dkf-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const rsa = makeCa(dir, 'rsa', 'rsa', '/CN=rsa/serialNumber=SN-R');
const ec = makeCa(dir, 'ec', 'p256', '/CN=ec/serialNumber=SN-E');
const spkiOf = (cert: string): Uint8Array =>
  new Uint8Array(new X509Certificate(readFileSync(cert)).publicKey.export({ type: 'spki', format: 'der' }));

describe('file DeviceKey', () => {
  test('RSA: sign verifies, OAEP (sha1, sha256) unwraps openssl pkeyutl output, TLS options are the PEM key', async () => {
    const key = fileDeviceKey(pemKeyPkcs8(rsa.key));
    assert.equal(key.kind, 'file');
    assert.equal(key.type, 'rsa');
    const sig = await key.sign(Buffer.from('tbs'), 'sha256');
    assert.ok(verify('sha256', Buffer.from('tbs'), createPublicKey(readFileSync(rsa.cert)), sig));
    for (const digest of ['sha1', 'sha256'] as const) {
      writeFileSync(join(dir, 'cek'), Buffer.alloc(32, 7));
      openssl([
        'pkeyutl',
        '-encrypt',
        '-certin',
        '-inkey',
        rsa.cert,
        '-pkeyopt',
        'rsa_padding_mode:oaep',
        '-pkeyopt',
        `rsa_oaep_md:${digest}`,
        '-pkeyopt',
        `rsa_mgf1_md:${digest}`,
        '-in',
        join(dir, 'cek'),
        '-out',
        join(dir, 'wrapped'),
      ]);
      assert.deepEqual(
        Buffer.from(await key.unwrapRsaOaep(readFileSync(join(dir, 'wrapped')), digest)),
        Buffer.alloc(32, 7),
      );
    }
    await assert.rejects(key.unwrapRsaOaep(new Uint8Array(256), 'sha256'));
    const tls = await key.tlsClientOptions();
    assert.ok('key' in tls && typeof tls.key === 'string' && tls.key.includes('BEGIN PRIVATE KEY'));
  });

  test('EC: ECDH equals openssl pkeyutl -derive; ECDSA verifies', async () => {
    const key = fileDeviceKey(pemKeyPkcs8(ec.key));
    assert.equal(key.type, 'ec');
    const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(join(dir, 'peer.pem'), peer.publicKey.export({ type: 'spki', format: 'pem' }));
    const expected = openssl(['pkeyutl', '-derive', '-inkey', ec.key, '-peerkey', join(dir, 'peer.pem')]);
    const z = await key.deriveEcdh(new Uint8Array(peer.publicKey.export({ type: 'spki', format: 'der' })));
    assert.deepEqual(Buffer.from(z), expected);
    const sig = await key.sign(Buffer.from('x'), 'sha256');
    assert.ok(verify('sha256', Buffer.from('x'), createPublicKey(readFileSync(ec.cert)), sig));
  });

  test('deviceKeyOf: the given key first, else the file key over privateKeyPkcs8, else none', () => {
    const given = fileDeviceKey(pemKeyPkcs8(ec.key));
    const cert = new Uint8Array();
    assert.equal(deviceKeyOf({ certificate: cert, chain: [], key: given }), given);
    assert.equal(deviceKeyOf({ certificate: cert, chain: [], privateKeyPkcs8: pemKeyPkcs8(rsa.key) })?.type, 'rsa');
    assert.equal(deviceKeyOf({ certificate: cert, chain: [] }), undefined);
    assert.equal(deviceKeyOf(undefined), undefined);
  });

  for (const [name, files] of [
    ['RSA', rsa],
    ['P-256', ec],
  ] as const) {
    test(`CSR signed through the port with the ${name} key passes openssl req -verify`, async () => {
      const csr = await signCsr({}, readDer(files.cert), {
        key: fileDeviceKey(pemKeyPkcs8(files.key)),
        spki: spkiOf(files.cert),
      });
      writeFileSync(join(dir, 'csr.der'), csr);
      const out = openssl([
        'req',
        '-inform',
        'DER',
        '-in',
        join(dir, 'csr.der'),
        '-verify',
        '-noout',
        '-subject',
      ]).toString();
      assert.match(out, /serialNumber ?= ?SN-/);
    });
  }
});

function readDer(cert: string): Uint8Array {
  return new Uint8Array(new X509Certificate(readFileSync(cert)).raw);
}
