/**
 * Property tests (fast-check) of the ztp.ini grammar: random valid files written with random
 * separators, spacing, comments and blank lines parse back to what was serialised; random
 * garbage lines give SZTP_ERR_CONFIG_SYNTAX at exactly their line; arbitrary text never crashes
 * the parser (it returns a config or throws a ConfigError).
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseConfigText } from '../../../src/config/load.ts';
import { parseIniText } from '../../../src/config/load-ini.ts';
import { CONFIG_SCHEMA, configValue, type SchemaEntry } from '../../../src/config/schema.ts';
import { ConfigError } from '../../../src/errors.ts';

type Model = { name: string; entries: { key: string; value: string }[] }[];

const keyArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,12}$/);
/** Values that survive unquoted: no leading quote, no whitespace-before-#/; (inline comments). */
const valueArb = fc.stringMatching(/^[A-Za-z0-9/:=,._@+-]([A-Za-z0-9/:=,._@+ -]{0,20}[A-Za-z0-9/:=,._@+-])?$/);
const sectionArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_ -]{0,14}[A-Za-z0-9]$/).map((s) => s.replace(/\s+/g, ' '));

const modelArb: fc.Arbitrary<Model> = fc
  .uniqueArray(sectionArb, { minLength: 1, maxLength: 5, selector: (s) => s.toLowerCase() })
  .chain((names) =>
    fc.tuple(
      ...names.map((name) =>
        fc
          .uniqueArray(fc.record({ key: keyArb, value: valueArb }), {
            maxLength: 6,
            selector: (e) => e.key.toLowerCase(),
          })
          .map((entries) => ({ name, entries })),
      ),
    ),
  );

const styleArb = fc.record({
  sep: fc.constantFrom(': ', ':', ' = ', '=', ' : '),
  indent: fc.constantFrom('', ' ', '\t'),
  comment: fc.constantFrom('', '# a comment', '; another', '   # indented'),
  blank: fc.boolean(),
  quote: fc.constantFrom('', '"', "'"),
  eol: fc.constantFrom('\n', '\r\n'),
});

function serialise(model: Model, styles: readonly fc.Arbitrary<unknown>[] | readonly Style[]): string {
  const out: string[] = [];
  let i = 0;
  const style = (): Style => (styles as Style[])[i++ % styles.length]!;
  for (const section of model) {
    const s = style();
    if (s.comment !== '') out.push(s.comment);
    out.push(`${s.indent}[${section.name}]`);
    for (const e of section.entries) {
      const t = style();
      if (t.blank) out.push('');
      out.push(`${t.indent}${e.key}${t.sep}${t.quote}${e.value}${t.quote}`);
    }
  }
  return out.join((styles as Style[])[0]!.eol) + '\n';
}
type Style = { sep: string; indent: string; comment: string; blank: boolean; quote: string; eol: string };

test('random valid files round-trip through the serialiser', () => {
  fc.assert(
    fc.property(modelArb, fc.array(styleArb, { minLength: 1, maxLength: 8 }), (model, styles) => {
      const raw = parseIniText(serialise(model, styles), 'p.ini');
      assert.deepEqual(raw.problems, []);
      assert.deepEqual(
        raw.sections.map((s) => ({ name: s.name, entries: s.entries.map((e) => ({ key: e.key, value: e.value })) })),
        model.map((s) => ({ name: s.name, entries: s.entries.map((e) => ({ key: e.key, value: e.value })) })),
      );
    }),
    { numRuns: 300 },
  );
});

function validValue(e: SchemaEntry): fc.Arbitrary<[string, unknown]> {
  const t = e.type;
  switch (t.kind) {
    case 'bool':
      return fc
        .tuple(fc.constantFrom('True', 'false', 'YES', 'no', '1', '0', 'On', 'off'), fc.constant(null))
        .map(([s]) => [s, /^(true|yes|on|1)$/i.test(s)]);
    case 'int':
      return fc.integer({ min: t.min, max: Math.min(t.max, 2 ** 40) }).map((n) => [String(n), n]);
    case 'number':
      return fc.integer({ min: t.min * 100, max: t.max * 100 }).map((n) => [String(n / 100), n / 100]);
    case 'enum':
      return fc.constantFrom(...t.values).map((v) => [v, v]);
    case 'list':
      return fc
        .array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 3 })
        .map((l) => [l.join(', '), l]);
    case 'path-list':
      return fc
        .array(fc.stringMatching(/^\/[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 3 })
        .map((l) => [l.join(','), l]);
    case 'path':
      return fc.stringMatching(/^\/[a-z0-9]{1,8}(\/[a-z0-9]{1,8})?$/).map((p) => [p, p]);
    case 'key-ref':
      return fc.stringMatching(/^\/[a-z0-9]{1,8}(\/[a-z0-9]{1,8})?$/).map((p) => [p, p]);
    case 'string':
      return fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,10}$/).map((s) => [s, s]);
  }
}

test('random typed values of every schema key parse to the typed value', () => {
  const entries = CONFIG_SCHEMA.filter(
    (e) =>
      !(e.section === 'Agent' && e.key.startsWith('backoff')) && !(e.section === 'Bootstrap' && e.key === 'servers'),
  );
  fc.assert(
    fc.property(
      fc
        .subarray(entries, { minLength: 1 })
        .chain((subset) => fc.tuple(fc.constant(subset), fc.tuple(...subset.map(validValue)))),
      ([subset, values]) => {
        const bySection = new Map<string, string[]>();
        subset.forEach((e, i) => {
          bySection.set(e.section, [...(bySection.get(e.section) ?? []), `${e.key}: ${values[i]![0]}`]);
        });
        const text = [...bySection].map(([s, lines]) => `[${s}]\n${lines.join('\n')}`).join('\n\n');
        const c = parseConfigText(text, '/base/ztp.ini');
        subset.forEach((e, i) => {
          const got = configValue(c, e);
          assert.deepEqual(got, values[i]![1], `${e.section}.${e.key}`);
        });
      },
    ),
    { numRuns: 100 },
  );
});

const garbageArb = fc
  .stringMatching(/^[A-Za-z0-9 _.,!?*&^%$@()-]{1,30}$/)
  .filter((s) => s.trim() !== '' && !s.includes(':') && !s.includes('='));

test('random garbage lines give SZTP_ERR_CONFIG_SYNTAX at their exact line, nothing else', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(12), garbageArb), { minLength: 1, maxLength: 4 }), (inserts) => {
      const lines = [
        '[Startup]',
        'start: True',
        'retry_forever: False',
        '',
        '[Fetcher Priority]',
        'USB: 0',
        'Mgmt4: 1',
        '# comment',
        '[Agent]',
        'log_level: warn',
      ];
      for (const [at, junk] of inserts) lines.splice(Math.min(at, lines.length), 0, junk);
      const expected = lines.flatMap((l, i) => (inserts.some(([, j]) => j === l) ? [i + 1] : []));
      try {
        parseConfigText(lines.join('\n'), 'ztp.ini');
        assert.fail('garbage accepted');
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        assert.deepEqual(
          err.problems.map((p) => p.line),
          expected,
        );
        assert.ok(err.problems.every((p) => p.code === 'SZTP_ERR_CONFIG_SYNTAX' && p.file === 'ztp.ini'));
      }
    }),
    { numRuns: 300 },
  );
});

test('arbitrary text never crashes: a config or a ConfigError with line numbers', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
      try {
        parseConfigText(text, 'any.ini');
      } catch (err) {
        assert.ok(err instanceof ConfigError, `unexpected ${String(err)}`);
        const lineCount = text.split(/\r?\n/).length;
        for (const p of err.problems) assert.ok(p.line === undefined || (p.line >= 1 && p.line <= lineCount));
      }
    }),
    { numRuns: 500 },
  );
});
