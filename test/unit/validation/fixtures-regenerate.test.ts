/**
 * Re-runs fixtures/generate.sh into a temporary directory (SZTP_FIXTURES_OUT) and checks that the
 * fresh manifest's expectations hold there too, so the committed fixtures are reproducible.
 * @module
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FIXTURES_DIR, checkEntry, loadManifest } from '../../support/fixtures.ts';

const out = mkdtempSync(join(tmpdir(), 'sztp-fixtures-'));
after(() => rmSync(out, { recursive: true, force: true }));

test('fixtures/generate.sh regenerates a manifest whose expectations hold (all key kinds)', { timeout: 180_000 }, async () => {
  execFileSync('bash', [join(FIXTURES_DIR, 'generate.sh')], { env: { ...process.env, SZTP_FIXTURES_OUT: out }, stdio: 'pipe' });
  const fresh = loadManifest(out);
  const committed = loadManifest();
  assert.deepEqual(fresh.variants.map((v) => `${v.kind}/${v.variant}`).sort(), committed.variants.map((v) => `${v.kind}/${v.variant}`).sort());
  for (const e of fresh.variants) await checkEntry(out, fresh, e);
});
