/**
 * The ztp.ini grammar (the seed's format, not RFC 8572): `[Section]` headers, `key: value` and
 * `key = value` pairs, `#` / `;` comment lines, blank lines. Values may be quoted ("..." or '...')
 * and may end in an inline comment introduced by whitespace + `#` or `;`. Every entry keeps its
 * line number so later problems can name `file:line`. Pure: text in, raw sections and syntax
 * problems out (the `ini` package cannot split `key: value` nor report lines, so we do not use it).
 * @module
 */
import type { ConfigProblem } from '../errors.ts';

export interface RawEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export interface RawSection {
  /** As written (trimmed), e.g. `Fetcher Priority`. */
  readonly name: string;
  /** Line of the first header of this section. */
  readonly line: number;
  /** Entries of every header with this name, in file order. */
  readonly entries: RawEntry[];
}

export interface RawIni {
  readonly file: string;
  /** Sections in file order; repeated headers (case-insensitive) are merged into the first. */
  readonly sections: readonly RawSection[];
  readonly problems: readonly ConfigProblem[];
}

const SECTION_RE = /^\[([^\][]+)\]$/;
const KEY_RE = /^[A-Za-z0-9_.-]+$/;

/** Splits `text` into sections and entries; never throws. */
export function parseIniText(text: string, file: string): RawIni {
  const sections: RawSection[] = [];
  const problems: ConfigProblem[] = [];
  let current: RawSection | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const header = SECTION_RE.exec(stripInlineComment(trimmed));
    if (header?.[1] !== undefined) {
      const name = header[1].trim().replace(/\s+/g, ' ');
      const existing = sections.find((s) => s.name.toLowerCase() === name.toLowerCase());
      current = existing ?? { name, line, entries: [] };
      if (existing === undefined) sections.push(current);
      return;
    }
    const sep = firstSeparator(trimmed);
    if (sep < 0) {
      problems.push({
        code: 'SZTP_ERR_CONFIG_SYNTAX',
        file,
        line,
        message: `not a section, key/value pair or comment: ${JSON.stringify(truncate(trimmed))}`,
      });
      return;
    }
    const key = trimmed.slice(0, sep).trim();
    if (!KEY_RE.test(key)) {
      problems.push({
        code: 'SZTP_ERR_CONFIG_SYNTAX',
        file,
        line,
        message: `bad key name ${JSON.stringify(truncate(key))}`,
      });
      return;
    }
    if (current === undefined) {
      problems.push({
        code: 'SZTP_ERR_CONFIG_SYNTAX',
        file,
        line,
        key,
        message: `${key}: key outside of any [section]`,
      });
      return;
    }
    const value = unquote(trimmed.slice(sep + 1).trim());
    if (value === undefined) {
      problems.push({
        code: 'SZTP_ERR_CONFIG_SYNTAX',
        file,
        line,
        section: current.name,
        key,
        message: `[${current.name}] ${key}: unterminated quoted value`,
      });
      return;
    }
    const duplicate = current.entries.find((e) => e.key.toLowerCase() === key.toLowerCase());
    if (duplicate !== undefined) {
      problems.push({
        code: 'SZTP_ERR_CONFIG_VALUE',
        file,
        line,
        section: current.name,
        key,
        message: `[${current.name}] ${key}: duplicate key (first set on line ${duplicate.line})`,
      });
      return;
    }
    current.entries.push({ key, value, line });
  });
  return { file, sections, problems };
}

function firstSeparator(s: string): number {
  const colon = s.indexOf(':');
  const equals = s.indexOf('=');
  if (colon < 0) return equals;
  if (equals < 0) return colon;
  return Math.min(colon, equals);
}

/** Removes `  # comment` / `  ; comment` after a value (the marker must follow whitespace). */
function stripInlineComment(s: string): string {
  const m = /\s[#;]/.exec(s);
  return m === null ? s : s.slice(0, m.index).trimEnd();
}

/** Strips one level of quotes; `undefined` for an opening quote without its closing quote. */
function unquote(value: string): string | undefined {
  const q = value[0];
  if (q === '"' || q === "'") {
    const end = value.indexOf(q, 1);
    if (end < 0) return undefined;
    const rest = value.slice(end + 1).trim();
    if (rest !== '' && !rest.startsWith('#') && !rest.startsWith(';')) return undefined;
    return value.slice(1, end);
  }
  return stripInlineComment(value);
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
