import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBase64, encodeBase64 } from '../../../src/lib/base64.ts';

test('decodeBase64: canonical padded base64, whitespace removed first', () => {
  assert.deepEqual(decodeBase64('aGVs\n bG8='), new Uint8Array(Buffer.from('hello')));
  assert.deepEqual(decodeBase64(''), new Uint8Array(0));
  assert.equal(encodeBase64(new Uint8Array(Buffer.from('hello'))), 'aGVsbG8=');
});

test('decodeBase64: refuses what Node would silently skip or accept unpadded', () => {
  for (const bad of ['aGVsbG8', 'aGVs*bG8=', 'aGVsbG8==', '=aGVs', 'aGVsbG8=x', 'a===', 'aGVs_bG8=', 'aGVs-bG8=']) {
    assert.equal(decodeBase64(bad), undefined, bad);
  }
});
