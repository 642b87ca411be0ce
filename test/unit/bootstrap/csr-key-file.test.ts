import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createCsrKeyFileStore } from '../../../src/bootstrap/csr-key-file.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

const root = makeTempDir('csr-store');
after(() => rmSync(root, { recursive: true, force: true }));

test('the CSR key is saved 0600 and a later discard deletes it (RFC 9646 X-05)', async () => {
  const dir = join(root, 'csr');
  const store = createCsrKeyFileStore(dir);
  await store.save({ privateKeyPkcs8: Uint8Array.of(1, 2, 3), csr: Uint8Array.of(9) });
  assert.deepEqual([...readFileSync(join(dir, 'csr-key.pk8'))], [1, 2, 3]);
  assert.equal(statSync(join(dir, 'csr-key.pk8')).mode & 0o777, 0o600);
  await store.save({ privateKeyPkcs8: Uint8Array.of(4), csr: Uint8Array.of(8) });
  assert.deepEqual([...readFileSync(join(dir, 'csr-key.pk8'))], [4]);
  await store.discard();
  assert.equal(existsSync(join(dir, 'csr-key.pk8')), false);
  assert.equal(existsSync(join(dir, 'csr.der')), false);
});
