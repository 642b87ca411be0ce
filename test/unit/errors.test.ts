/**
 * The error catalogue cannot drift: docs/errors.md and ERROR_CATALOGUE list exactly the same
 * codes (both directions, with the same stage and exit code), every code is raised somewhere in
 * src/ or marked reserved, and src/ never throws a bare Error.
 * @module
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ConfigError,
  ERROR_CATALOGUE,
  ERROR_CODES,
  SztpError,
  ValidationError,
  exitCodeOf,
  formatConfigProblem,
  isSztpError,
  isUsageError,
  toSztpError,
  type SztpErrorCode,
} from '../../src/errors.ts';

const root = join(import.meta.dirname, '..', '..');

interface DocRow {
  readonly stage: string;
  readonly exit: string;
  readonly meaning: string;
}

function documentedRows(): Map<string, DocRow> {
  const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, DocRow>();
  for (const m of doc.matchAll(
    /^\|\s*`(SZTP_ERR_[A-Z0-9_]+)`\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|/gm,
  )) {
    assert.ok(!rows.has(m[1]!), `${m[1]} is documented twice`);
    rows.set(m[1]!, { stage: m[2]!, exit: m[3]!, meaning: m[4]! });
  }
  return rows;
}

function documented(): Map<string, string> {
  return new Map([...documentedRows()].map(([code, row]) => [code, row.stage]));
}

test('every catalogue code is documented in docs/errors.md with its stage', () => {
  const rows = documented();
  const missing = ERROR_CODES.filter((c) => !rows.has(c));
  assert.deepEqual(missing, [], `add rows to docs/errors.md for: ${missing.join(', ')}`);
  for (const code of ERROR_CODES) assert.equal(rows.get(code), ERROR_CATALOGUE[code].stage, `stage of ${code}`);
});

test('docs/errors.md shows the exit code of every code, and which codes are reserved', () => {
  const rows = documentedRows();
  for (const code of ERROR_CODES) {
    const entry: { readonly exit: number; readonly reserved?: true } = ERROR_CATALOGUE[code];
    assert.equal(rows.get(code)?.exit, String(entry.exit), `exit code of ${code}`);
    assert.equal(rows.get(code)?.meaning.startsWith('Reserved'), entry.reserved === true, `reserved mark of ${code}`);
  }
});

test('every catalogue code is raised somewhere in src/, or is marked reserved (and then raised nowhere)', () => {
  const catalogue = readFileSync(join(root, 'src', 'errors.ts'), 'utf8').replace(
    /export const ERROR_CATALOGUE = \{[\s\S]*?\n\} as const/,
    '',
  );
  const text = [
    catalogue,
    ...sourceFiles(join(root, 'src'))
      .filter((f) => !f.endsWith(join('src', 'errors.ts')))
      .map((f) => readFileSync(f, 'utf8')),
  ].join('\n');
  const raised = (code: string): boolean => text.includes(`'${code}'`);
  const reserved = (code: SztpErrorCode): boolean => 'reserved' in ERROR_CATALOGUE[code];
  const neverRaised = ERROR_CODES.filter((c) => !reserved(c) && !raised(c));
  assert.deepEqual(neverRaised, [], `raise these codes or mark them reserved: ${neverRaised.join(', ')}`);
  const reservedButRaised = ERROR_CODES.filter((c) => reserved(c) && raised(c));
  assert.deepEqual(
    reservedButRaised,
    [],
    `these codes are raised: drop their reserved mark: ${reservedButRaised.join(', ')}`,
  );
});

test('exit codes: 2 for the command line, the configuration and the files it names, 1 otherwise', () => {
  assert.equal(exitCodeOf(new SztpError('SZTP_ERR_USAGE', 'x')), 2);
  assert.equal(exitCodeOf(new SztpError('SZTP_ERR_CONFIG_VALUE', 'x')), 2);
  assert.equal(exitCodeOf(new SztpError('SZTP_ERR_DEVICE_IDENTITY', 'x')), 2);
  assert.equal(exitCodeOf(new SztpError('SZTP_ERR_ADAPTER_NOT_FOUND', 'x')), 2);
  assert.equal(exitCodeOf(new SztpError('SZTP_ERR_NO_SOURCE', 'x')), 1);
  assert.equal(exitCodeOf(new ValidationError('voucher', 'SZTP_ERR_VOUCHER_EXPIRED', 'x')), 1);
  for (const code of ERROR_CODES)
    if (ERROR_CATALOGUE[code].stage === 'config') assert.equal(ERROR_CATALOGUE[code].exit, 2, code);
  assert.ok(isUsageError(new SztpError('SZTP_ERR_USAGE', 'x')));
  assert.ok(!isUsageError(new SztpError('SZTP_ERR_CONFIG_VALUE', 'x')));
});

test('every documented code exists in the catalogue', () => {
  const extra = [...documented().keys()].filter((c) => !(c in ERROR_CATALOGUE));
  assert.deepEqual(extra, [], `docs/errors.md lists unknown codes: ${extra.join(', ')}`);
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('src/ never throws a bare Error (every failure carries a catalogue code)', () => {
  const offenders = sourceFiles(join(root, 'src')).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => (/throw new (Type|Range)?Error\(/.test(line) ? [`${file}:${i + 1}`] : [])),
  );
  assert.deepEqual(offenders, []);
});

test('SztpError, ConfigError and helpers keep code, stage and problems', () => {
  const e = new SztpError('SZTP_ERR_USB_NOT_FOUND', 'nothing');
  assert.equal(e.stage, 'usb');
  assert.deepEqual(e.toJSON(), { code: 'SZTP_ERR_USB_NOT_FOUND', stage: 'usb', message: 'nothing' });
  assert.ok(isSztpError(e));
  assert.ok(!isSztpError(new Error('x')));
  assert.equal(toSztpError(new Error('boom'), 'SZTP_ERR_FETCHER_UNAVAILABLE').code, 'SZTP_ERR_FETCHER_UNAVAILABLE');
  assert.equal(toSztpError(e, 'SZTP_ERR_FETCHER_UNAVAILABLE'), e);
  const one = new ConfigError([{ code: 'SZTP_ERR_CONFIG_VALUE', file: 'ztp.ini', line: 5, message: 'bad' }]);
  assert.equal(one.code, 'SZTP_ERR_CONFIG_VALUE');
  const two = new ConfigError([
    { code: 'SZTP_ERR_CONFIG_VALUE', file: 'ztp.ini', line: 5, message: 'bad' },
    { code: 'SZTP_ERR_CONFIG_SYNTAX', file: 'ztp.ini', line: 7, message: 'worse' },
  ]);
  assert.equal(two.code, 'SZTP_ERR_CONFIG_INVALID');
  assert.equal(two.message, 'ztp.ini:5: bad (SZTP_ERR_CONFIG_VALUE)\nztp.ini:7: worse (SZTP_ERR_CONFIG_SYNTAX)');
  assert.equal(
    formatConfigProblem({ code: 'SZTP_ERR_CONFIG_READ', file: 'x.ini', message: 'gone' }),
    'x.ini: gone (SZTP_ERR_CONFIG_READ)',
  );
});
