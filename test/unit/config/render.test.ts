/**
 * ztp.ini.example documents every schema key with its default and parses; the effective
 * configuration printed by `config` parses back to the same configuration.
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultConfig, parseConfigText } from '../../../src/config/load.ts';
import { renderEffective, renderExample, renderReferenceTable } from '../../../src/config/render.ts';
import { CONFIG_SCHEMA } from '../../../src/config/schema.ts';

const examplePath = join(import.meta.dirname, '..', '..', '..', 'ztp.ini.example');
const example = readFileSync(examplePath, 'utf8');

test('ztp.ini.example parses and equals the defaults', () => {
  const c = parseConfigText(example, examplePath);
  const d = defaultConfig(c.baseDir);
  assert.deepEqual({ ...c, file: '' }, { ...d, file: '', router: { ...d.router, settings: { adapter: 'simulated' } } });
});

test('every schema key appears in ztp.ini.example with its default', () => {
  const lines = example.split('\n');
  for (const e of CONFIG_SCHEMA) {
    const want = e.default === undefined ? `# ${e.key}:` : `${e.key}:${e.default === '' ? '' : ` ${e.default}`}`;
    assert.ok(lines.includes(want), `ztp.ini.example lacks "${want}" ([${e.section}])`);
    assert.ok(lines.includes(`[${e.section}]`), `ztp.ini.example lacks [${e.section}]`);
  }
});

test('ztp.ini.example is what renderExample() produces (regenerate it when the schema changes)', () => {
  assert.equal(example, renderExample(), 'ztp.ini.example is out of date: npm run gen');
});

test('the effective configuration round-trips through renderEffective', () => {
  const text =
    '[Startup]\nretry_forever: no\n[Fetcher Priority]\nServer: 0\nUSB: 1\n[Bootstrap]\nservers: https://a:8443\n[Device]\nserial_number: X1\n[Router]\nadapter: simulated\nroot: /r\n[Agent]\nstate_dir: /s\nbackoff_initial_seconds: 0.5\n';
  const c = parseConfigText(text, '/etc/z/ztp.ini');
  const again = parseConfigText(renderEffective(c), '/etc/z/ztp.ini');
  assert.deepEqual(again, c);
});

test('the README ztp.ini reference is the table generated from the schema', () => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
  const m = /<!-- BEGIN ztp\.ini reference[^>]*-->\n([\s\S]*?)\n<!-- END ztp\.ini reference -->/.exec(readme);
  assert.ok(m, 'README lacks the generated ztp.ini reference block');
  assert.equal(m[1], renderReferenceTable(), 'the README ztp.ini reference is out of date: npm run gen');
});

test('every field of the parsed configuration comes from exactly one schema row (plus file, baseDir, fetchers and the adapter settings)', () => {
  // Every optional key (no default) is set, so that its field appears too.
  const sample = (e: (typeof CONFIG_SCHEMA)[number]): string =>
    e.type.kind === 'int' || e.type.kind === 'number'
      ? String(e.type.min)
      : e.type.kind === 'string'
        ? 'x'
        : `/${e.key}`;
  const optional = CONFIG_SCHEMA.filter((e) => e.default === undefined && e.section !== 'Router');
  const c = parseConfigText(optional.map((e) => `[${e.section}]\n${e.key}: ${sample(e)}\n`).join(''), '/etc/z/ztp.ini');
  assert.ok(optional.length >= 10, 'the optional keys are found');
  const fields = Object.entries(c).flatMap(([group, v]) =>
    typeof v === 'object' && !Array.isArray(v) ? Object.keys(v as object).map((f) => `${group}.${f}`) : [group],
  );
  const paths = CONFIG_SCHEMA.map((e) => e.path).filter((p) => p !== 'router.settings');
  assert.equal(new Set(paths).size, paths.length, 'two schema rows share a path');
  assert.deepEqual(
    fields.filter((f) => !['file', 'baseDir', 'fetchers', 'router.settings'].includes(f)).sort(),
    [...paths].sort(),
  );
});
