/**
 * The unit tests mirror the files they test: `test/unit/<dir>/<name>[.<aspect>].test.ts` tests
 * `src/<dir>/<name>.ts` (or the folder `src/<dir>/<name>/`), or, for what lives outside src/,
 * `<dir>/<name>.*` at the repository root (scripts/, fixtures/, docs/, test/).
 * @module
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..', '..');
const unitDir = join(root, 'test', 'unit');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

/** True when `name` is a file `<name>.*` or a folder `<name>` inside `dir`. */
function present(dir: string, name: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { withFileTypes: true }).some((e) =>
    e.isDirectory() ? e.name === name : e.name.startsWith(`${name}.`),
  );
}

function subjectOf(rel: string): { dir: string; name: string } {
  return { dir: dirname(rel), name: basename(rel).split('.')[0] ?? '' };
}

test('every unit test file is named after the source file or folder it tests', () => {
  const strays = testFiles(unitDir)
    .map((f) => relative(unitDir, f))
    .filter((rel) => {
      const { dir, name } = subjectOf(rel);
      return !present(join(root, 'src', dir), name) && !present(join(root, dir), name);
    });
  assert.deepEqual(strays, [], 'rename these after what they test (test/unit/<dir>/<source>[.<aspect>].test.ts)');
});

test('the naming rule recognises a stray name', () => {
  assert.deepEqual(subjectOf('dhcp/client-v4.client-v6.test.ts'), { dir: 'dhcp', name: 'client-v4' });
  assert.equal(present(join(root, 'src', 'dhcp'), 'clients'), false);
  assert.equal(present(join(root, 'src', 'dhcp'), 'client-v4'), true);
  assert.equal(present(join(root, 'src', 'adapters'), 'presets'), true);
});
