import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashFile } from '../../../src/lib/hash.ts';
import { tempDir } from '../../support/temp-dir.ts';

test('hashFile: sha256 by default, sha512 on request; rejects an unreadable file', async (t) => {
  const dir = tempDir(t, 'hash');
  const p = join(dir, 'f');
  const data = Buffer.alloc(3 << 20, 7);
  writeFileSync(p, data);
  assert.deepEqual(await hashFile(p), createHash('sha256').update(data).digest());
  assert.deepEqual(await hashFile(p, 'sha512'), createHash('sha512').update(data).digest());
  await assert.rejects(hashFile(join(dir, 'missing')), { code: 'ENOENT' });
});
