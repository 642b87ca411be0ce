/**
 * The requirement trail of docs/requirements.md: finds requirement IDs (C-nnn, T-nn, AT-nn, X-nn,
 * V-nn, R-nn) cited in the repository, the IDs the document defines, and text that points to files
 * outside the repository. `test/unit/docs/requirements.test.ts` uses these functions to keep the
 * trail resolvable; run directly, this script refreshes the document's "Where" column:
 *
 *   node --import tsx scripts/requirements-where.ts [--write]
 *
 * Without `--write` it only prints the rows whose column is out of date (exit 1 when any is).
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The repository root (this file lives in `scripts/`). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

/** The document that defines every requirement ID. */
export const REQUIREMENTS_DOC = 'docs/requirements.md';

/**
 * One requirement ID in the exact shapes the document defines: three digits after `C-`, two after
 * the other prefixes. The look-arounds keep it from matching inside longer tokens such as `SHA-256`,
 * `AES-128`, `P-256`, `X-Forwarded-For` or `C-0012`.
 */
export const REQUIREMENT_ID = /(?<![A-Za-z0-9_-])(?:C-\d{3}|(?:AT|T|X|V|R)-\d{2})(?![A-Za-z0-9_])/g;

/** Folders and files whose citations must resolve in the document. */
export const CITING_ROOTS: readonly string[] = [
  'src/',
  'test/',
  'docs/',
  'bench/',
  'scripts/',
  'packaging/',
  'fixtures/',
  '.ci/',
  'README.md',
];

/** The test of the trail itself: its sample IDs are not citations. */
export const TRAIL_TEST = 'test/unit/docs/requirements.test.ts';

/** Folders never scanned: installed packages and build output. */
const SKIPPED_DIRS: readonly string[] = ['node_modules/', 'dist/', '.git/', 'coverage/'];

/** Returns the IDs cited in `text`, in order of appearance, each once. */
export function citedIds(text: string): string[] {
  return [...new Set(text.match(REQUIREMENT_ID) ?? [])];
}

/** Returns the IDs that the document defines: the first cell of each table row. */
export function definedIds(doc: string): string[] {
  const ids: string[] = [];
  for (const line of doc.split('\n')) {
    const m = /^\| ([A-Z]{1,2}-\d{2,3}) \|/.exec(line);
    if (m?.[1] !== undefined) ids.push(m[1]);
  }
  return ids;
}

/** A text pattern that points outside the repository, with what it stands for. */
export interface OutsidePointer {
  readonly pattern: RegExp;
  readonly what: string;
  /** The pointer is allowed when the repository itself holds a file with this base name. */
  readonly unlessFile?: string;
}

/** Pointers to material a maintainer who clones the repository does not have. */
export const OUTSIDE_POINTERS: readonly OutsidePointer[] = [
  { pattern: /\.\.\/shared\b/, what: 'a ../shared path' },
  { pattern: /(?:^|[\s'"`(<[=:,])\/work\//m, what: 'an absolute /work/ path' },
  {
    pattern: /rfc8572-device-requirements\.md/,
    what: 'the outside requirements checklist (cite docs/requirements.md IDs)',
  },
  { pattern: /peers-and-interop\.md/, what: 'the outside interop notes' },
  { pattern: /seed-ios-xr-secure-ztp\.md/, what: 'the outside seed document' },
  { pattern: /\bSTYLE\.md\b/, what: 'the outside style notes' },
  { pattern: /\bSTYLE(?:\.md)? practices? \d+/i, what: 'a numbered outside style practice (say the reason instead)' },
  { pattern: /\bchecklist §/i, what: 'a section of the outside checklist (cite docs/requirements.md)' },
  { pattern: /\bdependencies\.md\b/, what: 'the outside dependencies study', unlessFile: 'dependencies.md' },
  { pattern: /\bhardware-keys\.md\b/, what: 'the outside hardware-keys study', unlessFile: 'hardware-keys.md' },
  { pattern: /\bemulator-image\.md\b/, what: 'the outside emulator-image study', unlessFile: 'emulator-image.md' },
];

/** One offending line. */
export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly what: string;
}

/** Finds every outside pointer in `text`; `present` holds the base names of the repository's files. */
export function outsidePointers(file: string, text: string, present: ReadonlySet<string>): Finding[] {
  const found: Finding[] = [];
  text.split('\n').forEach((line, i) => {
    for (const p of OUTSIDE_POINTERS) {
      if (p.unlessFile !== undefined && present.has(p.unlessFile)) continue;
      if (p.pattern.test(line)) found.push({ file, line: i + 1, text: line.trim(), what: p.what });
    }
  });
  return found;
}

/** Relative paths of the repository's files (tracked or new, not ignored), without skipped folders. */
export function repositoryFiles(root: string = REPO_ROOT): string[] {
  let files: string[];
  try {
    const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    files = out.split('\0').filter((f) => f !== '');
  } catch {
    files = walk(root, '');
  }
  return files.filter((f) => !SKIPPED_DIRS.some((d) => f.startsWith(d)) && existsSync(path.join(root, f))).sort();
}

/** Fallback without git: every file below `root`, outside the skipped folders. */
function walk(root: string, rel: string): string[] {
  return readdirSync(path.join(root, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) return SKIPPED_DIRS.includes(`${p}/`) ? [] : walk(root, p);
    return e.isFile() ? [p] : [];
  });
}

/** Reads a repository file as text, or returns undefined for binary content. */
export function readText(file: string, root: string = REPO_ROOT): string | undefined {
  const buf = readFileSync(path.join(root, file));
  return buf.includes(0) ? undefined : buf.toString('utf8');
}

/** Maps each ID to the sorted `src/` and `test/` code files (not their READMEs) that cite it. */
export function citingFiles(files: readonly string[], root: string = REPO_ROOT): Map<string, string[]> {
  const where = new Map<string, string[]>();
  for (const f of files) {
    if ((!f.startsWith('src/') && !f.startsWith('test/')) || f.endsWith('.md') || f === TRAIL_TEST) continue;
    const text = readText(f, root);
    if (text === undefined) continue;
    for (const id of citedIds(text)) where.set(id, [...(where.get(id) ?? []), f]);
  }
  for (const list of where.values()) list.sort();
  return where;
}

/** Paths listed in a row's last cell. */
export function whereCell(row: string): string[] {
  const m = /\|([^|]*)\|\s*$/.exec(row);
  return [...(m?.[1] ?? '').matchAll(/`([^`]+)`/g)].map((x) => x[1] ?? '');
}

/** The document with every definition row's last cell set from `where`. */
export function withWhere(doc: string, where: ReadonlyMap<string, readonly string[]>): string {
  return doc
    .split('\n')
    .map((line) => {
      const id = /^\| ([A-Z]{1,2}-\d{2,3}) \|/.exec(line)?.[1];
      if (id === undefined) return line;
      const cell = (where.get(id) ?? []).map((f) => `\`${f}\``).join(', ');
      return line.replace(/\|[^|]*\|\s*$/, `| ${cell} |`.replace('|  |', '| |'));
    })
    .join('\n');
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.filename === process.argv[1];
if (invokedDirectly) {
  const docPath = path.join(REPO_ROOT, REQUIREMENTS_DOC);
  const doc = readFileSync(docPath, 'utf8');
  const next = withWhere(doc, citingFiles(repositoryFiles()));
  const before = doc.split('\n');
  const stale = next.split('\n').filter((l, i) => l !== before[i]);
  if (process.argv.includes('--write')) {
    writeFileSync(docPath, next);
    process.stdout.write(`${stale.length} row(s) updated in ${REQUIREMENTS_DOC}\n`);
  } else {
    process.stdout.write(stale.map((l) => `${l}\n`).join(''));
    process.exitCode = stale.length === 0 ? 0 : 1;
  }
}
