/**
 * The requirement trail resolves inside the repository: every requirement ID cited in src/, test/,
 * docs/, bench/, scripts/, packaging/, fixtures/, .ci/ or the README is defined in
 * docs/requirements.md, each ID is defined once, the document's "Where" column names files that
 * exist, and no file points to material outside the repository.
 * @module
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  CITING_ROOTS,
  REPO_ROOT,
  REQUIREMENTS_DOC,
  citedIds,
  citingFiles,
  definedIds,
  outsidePointers,
  readText,
  repositoryFiles,
  whereCell,
  withWhere,
} from '../../../scripts/requirements-where.ts';

/** Files that spell out the outside-pointer patterns themselves. */
const PATTERN_FILES = new Set(['scripts/requirements-where.ts', 'test/unit/docs/requirements.test.ts']);

const doc = readFileSync(path.join(REPO_ROOT, REQUIREMENTS_DOC), 'utf8');
const files = repositoryFiles();

describe('requirement ID pattern', () => {
  test('finds every ID shape the document uses', () => {
    assert.deepEqual(citedIds('C-001, T-09 and AT-55 (X-05, V-03, R-10); range C-160..C-167.'), [
      'C-001',
      'T-09',
      'AT-55',
      'X-05',
      'V-03',
      'R-10',
      'C-160',
      'C-167',
    ]);
  });

  test('does not match algorithm names, headers or longer numbers', () => {
    const text =
      'SHA-256 AES-128 P-384 X-Forwarded-For UTF-8 RSA-OAEP C-0012 T-123 AT-5 X-1 T-30s id-T-12 ISO-8859 X25519';
    assert.deepEqual(citedIds(text), []);
  });

  test('reads AT-nn as one ID, not as T-nn', () => {
    assert.deepEqual(citedIds('AT-12'), ['AT-12']);
  });
});

describe('docs/requirements.md', () => {
  const defined = definedIds(doc);

  test('defines every ID family with its full numbered set', () => {
    const count = (prefix: string): number => defined.filter((id) => id.startsWith(`${prefix}-`)).length;
    assert.deepEqual(
      { C: count('C'), V: count('V'), X: count('X'), R: count('R'), T: count('T'), AT: count('AT') },
      { C: 139, V: 11, X: 11, R: 10, T: 30, AT: 55 },
    );
  });

  test('defines each ID once', () => {
    const seen = new Set<string>();
    const twice = defined.filter((id) => seen.size === seen.add(id).size);
    assert.deepEqual(twice, []);
  });

  test('every cited ID is defined', () => {
    const known = new Set(defined);
    const missing: string[] = [];
    for (const f of files.filter((x) => CITING_ROOTS.some((r) => x === r || (r.endsWith('/') && x.startsWith(r))))) {
      const text = readText(f);
      if (text === undefined) continue;
      for (const id of citedIds(text)) if (!known.has(id)) missing.push(`${f}: ${id}`);
    }
    assert.deepEqual(missing, [], `define these IDs in ${REQUIREMENTS_DOC} or fix the citation`);
  });

  test('the scan covers the places that cite IDs', () => {
    const scanned = files.filter((x) => x.startsWith('src/') || x.startsWith('test/'));
    assert.ok(scanned.length > 50, `${scanned.length} files under src/ and test/`);
    assert.ok(files.includes(REQUIREMENTS_DOC));
  });

  test('the Where column names only existing files', () => {
    const gone = doc
      .split('\n')
      .flatMap((row) => (/^\| [A-Z]{1,2}-\d/.test(row) ? whereCell(row) : []))
      .filter((f) => !existsSync(path.join(REPO_ROOT, f)));
    assert.deepEqual(gone, [], 'refresh it: node --import tsx scripts/requirements-where.ts --write');
  });

  test('the Where column is regenerated from the citations', () => {
    const sample = '| C-001 | 3.1 | M | text | `old.ts` |\n| AT-01 | text | 5.2 | |\nprose C-001';
    const out = withWhere(sample, new Map([['AT-01', ['src/a.ts', 'test/b.test.ts']]]));
    assert.equal(
      out,
      '| C-001 | 3.1 | M | text | |\n| AT-01 | text | 5.2 | `src/a.ts`, `test/b.test.ts` |\nprose C-001',
    );
    const where = citingFiles(files);
    assert.ok(where.get('C-167')?.includes('src/dhcp/uri-list.ts'), 'src/dhcp/uri-list.ts cites C-167');
  });
});

describe('no pointer outside the repository', () => {
  const present = new Set(files.map((f) => path.basename(f)));

  test('every repository file is clean', () => {
    const found = files
      .filter((f) => !PATTERN_FILES.has(f) && f !== 'package-lock.json')
      .flatMap((f) => {
        const text = readText(f);
        return text === undefined ? [] : outsidePointers(f, text, present);
      });
    assert.deepEqual(
      found.map((x) => `${x.file}:${x.line}: ${x.what}: ${x.text}`),
      [],
    );
  });

  test('each kind of outside pointer is caught', () => {
    const lines = [
      'see ../shared/reference/x.md',
      'read /work/shared/STYLE.md',
      'as in rfc8572-device-requirements.md §7',
      'peers-and-interop.md says',
      'the seed-ios-xr-secure-ztp.md file',
      '(STYLE practice 7)',
      'per the checklist §2.6',
      'hardware-keys.md study',
    ];
    for (const line of lines) assert.equal(outsidePointers('x', line, new Set()).length > 0, true, line);
  });

  test('ordinary text is not a pointer', () => {
    const lines = [
      "const dir = mkdtempSync('/tmp/work/');",
      'docs/requirements.md C-001',
      'code style: two spaces',
      'hardware-keys.md (a repository file)',
    ];
    for (const line of lines) assert.deepEqual(outsidePointers('x', line, new Set(['hardware-keys.md'])), [], line);
  });
});
