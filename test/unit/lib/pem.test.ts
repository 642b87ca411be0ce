import assert from 'node:assert/strict';
import { test } from 'node:test';
import { certificatesFromPemOrDer, derToPem, isPem, pemBlocks, pemToDer } from '../../../src/lib/pem.ts';

const der = new Uint8Array(Array.from({ length: 100 }, (_, i) => (i === 0 ? 0x30 : i)));

test('derToPem wraps at 64 characters and pemToDer reads it back', () => {
  const pem = derToPem(der, 'CERTIFICATE');
  assert.ok(pem.split('\n').every((l) => l.length <= 64));
  assert.deepEqual(pemToDer(pem + pem), [der, der]);
  assert.deepEqual(pemToDer(derToPem(der, 'PRIVATE KEY')), [], 'other labels are not certificates');
});

test('pemBlocks: only the labels asked for; a body that is not base64 has no DER', () => {
  const text = `${derToPem(der, 'PKCS7')}junk\n${derToPem(der, 'CERTIFICATE')}-----BEGIN CMS-----\nno*base64\n-----END CMS-----\n`;
  const blocks = pemBlocks(text, ['PKCS7', 'CMS']);
  assert.deepEqual(
    blocks.map((b) => b.label),
    ['PKCS7', 'CMS'],
  );
  assert.deepEqual(blocks[0]?.der, der);
  assert.equal(blocks[1]?.der, undefined);
  assert.deepEqual(
    pemToDer('-----BEGIN CERTIFICATE-----\n*\n-----END CERTIFICATE-----'),
    [new Uint8Array(0)],
    'a broken block is kept (and fails to parse), not dropped',
  );
});

test('certificatesFromPemOrDer: PEM blocks, else the whole file as DER, nothing for an empty file', () => {
  const pemFile = new Uint8Array(Buffer.from(derToPem(der, 'CERTIFICATE')));
  assert.deepEqual(certificatesFromPemOrDer(pemFile), [der]);
  assert.deepEqual(certificatesFromPemOrDer(der), [der]);
  assert.deepEqual(certificatesFromPemOrDer(new Uint8Array(0)), []);
  assert.equal(isPem(pemFile), true);
  assert.equal(isPem(der), false);
});
