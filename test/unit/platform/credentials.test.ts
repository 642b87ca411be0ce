/**
 * IDevID and trust-anchor loading with keys and certificates made by the openssl CLI: PKCS#8,
 * SEC1 and PKCS#1 keys become PKCS#8 DER; the chain after the first certificate is kept; the
 * serial number comes from the subject serialNumber; missing or broken files give
 * SZTP_ERR_CONFIG_FILE / SZTP_ERR_DEVICE_IDENTITY. Also the atomic file writer.
 * @module
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as pkijs from 'pkijs';
import { loadDeviceCredentials, loadTrustAnchors, subjectSerialNumber } from '../../../src/platform/credentials.ts';
import { writeFileAtomic } from '../../../src/lib/fs-atomic.ts';
import { certDer, makeTestPki, openssl, type TestPki } from '../../support/pki.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

let dir: string;
let pki: TestPki;
before(() => {
  dir = makeTempDir('cred');
  pki = makeTestPki(join(dir, 'pki'), 'p256', 'SN-CRED-42');
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('IDevID + intermediates + PKCS#8 key; serial from the subject serialNumber', async () => {
  const chainFile = join(dir, 'idevid-chain.pem');
  writeFileSync(chainFile, readFileSync(pki.device.cert, 'utf8') + readFileSync(pki.manufacturer.cert, 'utf8'));
  const creds = await loadDeviceCredentials(chainFile, pki.device.key);
  assert.deepEqual(Buffer.from(creds.certificate), certDer(pki.device.cert));
  assert.equal(creds.chain.length, 1);
  assert.deepEqual(Buffer.from(creds.chain[0]!), certDer(pki.manufacturer.cert));
  assert.equal(subjectSerialNumber(creds.certificate), 'SN-CRED-42');
  const key = createPrivateKey({ key: Buffer.from(creds.privateKeyPkcs8!), format: 'der', type: 'pkcs8' });
  assert.equal(key.asymmetricKeyType, 'ec');
  assert.equal(subjectSerialNumber(certDer(pki.manufacturer.cert)), undefined);
});

test('SEC1 EC and PKCS#1 RSA keys are converted to PKCS#8 DER', async () => {
  const sec1 = join(dir, 'sec1.pem');
  writeFileSync(sec1, openssl(['ec', '-in', pki.device.key]));
  assert.match(readFileSync(sec1, 'utf8'), /BEGIN EC PRIVATE KEY/);
  const fromSec1 = await loadDeviceCredentials(pki.device.cert, sec1);
  const reference = createPrivateKey(readFileSync(pki.device.key)).export({ type: 'pkcs8', format: 'der' });
  assert.deepEqual(Buffer.from(fromSec1.privateKeyPkcs8!), reference);

  const rsa = join(dir, 'rsa1.pem');
  writeFileSync(rsa, openssl(['genrsa', '-traditional', '2048']));
  assert.match(readFileSync(rsa, 'utf8'), /BEGIN RSA PRIVATE KEY/);
  const fromPkcs1 = await loadDeviceCredentials(pki.device.cert, rsa);
  assert.equal(
    createPrivateKey({ key: Buffer.from(fromPkcs1.privateKeyPkcs8!), format: 'der', type: 'pkcs8' }).asymmetricKeyType,
    'rsa',
  );
});

test('missing files and bad contents are coded', async () => {
  await assert.rejects(loadDeviceCredentials(join(dir, 'nope.pem')), { code: 'SZTP_ERR_CONFIG_FILE' });
  await assert.rejects(loadDeviceCredentials(pki.device.cert, join(dir, 'nokey.pem')), {
    code: 'SZTP_ERR_CONFIG_FILE',
  });
  const junk = join(dir, 'junk.pem');
  writeFileSync(junk, 'hello\n');
  await assert.rejects(loadDeviceCredentials(junk), { code: 'SZTP_ERR_DEVICE_IDENTITY' });
  await assert.rejects(loadDeviceCredentials(pki.device.cert, junk), { code: 'SZTP_ERR_DEVICE_IDENTITY' });
  await assert.rejects(loadTrustAnchors(junk), { code: 'SZTP_ERR_CONFIG_FILE' });
  const broken = join(dir, 'broken.pem');
  writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n');
  await assert.rejects(loadTrustAnchors(broken), { code: 'SZTP_ERR_CONFIG_FILE' });
});

test('trust-anchor bundles load every certificate as DER', async () => {
  const bundle = join(dir, 'bundle.pem');
  writeFileSync(
    bundle,
    `# comment\n${readFileSync(pki.manufacturer.cert, 'utf8')}\n${readFileSync(pki.serverCa.cert, 'utf8')}`,
  );
  const ders = await loadTrustAnchors(bundle);
  assert.deepEqual(
    ders.map((d) => Buffer.from(d)),
    [certDer(pki.manufacturer.cert), certDer(pki.serverCa.cert)],
  );
});

test('writeFileAtomic replaces content with mode 0600 and leaves no temp file', async () => {
  const target = join(dir, 'atomic', 'file.json');
  await assert.rejects(writeFileAtomic(target, 'x'), { code: 'SZTP_ERR_STATE_WRITE' });
  const d = join(dir, 'atomic2');
  rmSync(d, { recursive: true, force: true });
  (await import('node:fs')).mkdirSync(d);
  await writeFileAtomic(join(d, 'f'), 'one');
  await writeFileAtomic(join(d, 'f'), new Uint8Array([116, 119, 111]));
  assert.equal(readFileSync(join(d, 'f'), 'utf8'), 'two');
  assert.equal(statSync(join(d, 'f')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(d), ['f']);
});

test('subject serialNumber: the first one, also inside a multi-valued RDN, equal to what pkijs reads; a coded error for what is not DER', () => {
  const key = join(dir, 'pki', 'sn-key.pem');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  const selfSigned = (subj: string, extra: string[] = []): Buffer => {
    const pem = join(dir, 'pki', 'sn.pem');
    openssl(['req', '-new', '-x509', '-key', key, '-subj', subj, '-days', '1', '-out', pem, ...extra]);
    return certDer(pem);
  };
  const pkijsSerial = (der: Uint8Array): unknown =>
    pkijs.Certificate.fromBER(der).subject.typesAndValues.find((tv) => tv.type === '2.5.4.5')?.value.valueBlock.value;
  const cases = [
    selfSigned('/CN=dev+serialNumber=MV-1/serialNumber=SECOND', ['-multivalue-rdn']),
    selfSigned('/serialNumber=PID:R1 SN:FOC123/CN=dev'),
    certDer(pki.device.cert),
  ];
  assert.deepEqual(cases.map(subjectSerialNumber), ['MV-1', 'PID:R1 SN:FOC123', 'SN-CRED-42']);
  for (const der of cases) assert.equal(subjectSerialNumber(der), pkijsSerial(der));
  assert.throws(
    () => subjectSerialNumber(new Uint8Array([0x30, 0x80, 0x00, 0x00])),
    (e: Error & { code?: string }) => e.code === 'SZTP_ERR_DEVICE_IDENTITY',
  );
  assert.throws(
    () => subjectSerialNumber(Buffer.concat([certDer(pki.device.cert), Buffer.from([0])])),
    (e: Error & { code?: string }) => e.code === 'SZTP_ERR_DEVICE_IDENTITY' && /subject cannot be read/.test(e.message),
  );
});
