/**
 * The error catalogue cannot drift: docs/errors.md and ERROR_CATALOGUE list exactly the same
 * codes (both directions, with the same stage), and src/ never throws a bare Error.
 * @module
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, ERROR_CATALOGUE, ERROR_CODES, SztpError, formatConfigProblem, isSztpError, toSztpError } from '../../src/errors.ts';

const root = join(import.meta.dirname, '..', '..');

function documented(): Map<string, string> {
  const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const m of doc.matchAll(/^\|\s*`(SZTP_ERR_[A-Z0-9_]+)`\s*\|\s*([^|]+?)\s*\|/gm)) {
    assert.ok(!rows.has(m[1]!), `${m[1]} is documented twice`);
    rows.set(m[1]!, m[2]!);
  }
  return rows;
}

test('every catalogue code is documented in docs/errors.md with its stage', () => {
  const rows = documented();
  const missing = ERROR_CODES.filter((c) => !rows.has(c));
  assert.deepEqual(missing, [], `add rows to docs/errors.md for: ${missing.join(', ')}`);
  for (const code of ERROR_CODES) assert.equal(rows.get(code), ERROR_CATALOGUE[code].stage, `stage of ${code}`);
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
    readFileSync(file, 'utf8').split('\n').flatMap((line, i) => (/throw new (Type|Range)?Error\(/.test(line) ? [`${file}:${i + 1}`] : [])));
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
  assert.equal(formatConfigProblem({ code: 'SZTP_ERR_CONFIG_READ', file: 'x.ini', message: 'gone' }), 'x.ini: gone (SZTP_ERR_CONFIG_READ)');
});
