/**
 * Renders ztp.ini text from the schema: `ztp.ini.example` (every key with its default and a
 * comment), the README reference table, and the effective configuration printed by
 * `sztp-agent config` (ztp.ini syntax, so it can be saved and reused).
 * @module
 */
import { FETCHER_DEFAULTS } from './fetchers.ts';
import { CONFIG_SCHEMA, FETCHER_PRIORITY_SECTION, configValue, type SchemaEntry } from './schema.ts';
import type { AgentConfig } from './types.ts';

/** What the effective configuration prints instead of a secret value. */
export const HIDDEN = '(hidden)';

/** The text of ztp.ini.example. */
export function renderExample(): string {
  const out: string[] = [
    '# sztp-agent configuration (ztp.ini). Every key is shown with its default.',
    '# Syntax: `key: value` or `key = value`; booleans True/False, yes/no, on/off or 1/0 (any case);',
    "# `#` and `;` start comments. Relative paths resolve against this file's directory.",
    '# Keys that are commented out have no default (unset).',
  ];
  let section = '';
  for (const e of CONFIG_SCHEMA) {
    if (e.section !== section) {
      section = e.section;
      out.push('', `[${section}]`);
      if (section === 'Router')
        out.push(
          '# Any other [Router] key, and every key of [<Adapter> Adapter] (e.g. [Command Adapter]), is passed to the adapter.',
        );
    }
    out.push(`# ${e.description}`);
    out.push(e.default === undefined ? `# ${e.key}:` : `${e.key}:${e.default === '' ? '' : ` ${e.default}`}`);
    if (section === 'Startup' && e.key === 'retry_forever') out.push(...priorityBlock());
  }
  return `${out.join('\n')}\n`;
}

function priorityBlock(): string[] {
  return [
    '',
    `[${FETCHER_PRIORITY_SECTION}]`,
    '# 0 is tried first, 9 last; ties keep file order; a fetcher not listed is disabled.',
    `# Without this section: the values below${FETCHER_DEFAULTS.conditional.map((f) => `, plus ${f.name} ${f.enabledWhen?.description ?? ''}`).join('')}.`,
    ...FETCHER_DEFAULTS.always.map((f) => `${f.name}: ${f.defaultPriority}`),
    ...FETCHER_DEFAULTS.conditional.map((f) => `# ${f.name}: ${f.defaultPriority}`),
  ];
}

/** Markdown table of every key (README "ztp.ini reference"). */
export function renderReferenceTable(): string {
  const rows = CONFIG_SCHEMA.map(
    (e) =>
      `| \`[${e.section}]\` | \`${e.key}\` | ${e.default === undefined || e.default === '' ? '(unset)' : `\`${e.default}\``} | ${e.description.replace(/\|/g, '\\|')} |`,
  );
  return ['| Section | Key | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** A value as ztp.ini text, by its schema type (unset: empty; a secret: HIDDEN). */
function formatValue(entry: SchemaEntry, value: unknown): string {
  if (value === undefined) return '';
  if (entry.secret === true) return HIDDEN;
  if (entry.type.kind === 'bool') return value === true ? 'True' : 'False';
  if (Array.isArray(value)) return value.join(', ');
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** The effective configuration in ztp.ini syntax: every schema row at its path, in schema order. */
export function renderEffective(config: AgentConfig): string {
  const sections = new Map<string, [string, string][]>();
  const add = (section: string, key: string, value: string): void => {
    sections.set(section, [...(sections.get(section) ?? []), [key, value]]);
  };
  for (const e of CONFIG_SCHEMA) {
    if (e.section === 'Router') {
      // [Router] is open: every key of the adapter's settings is printed (adapter first), not only the schema's.
      if (e.path !== 'router.adapter') continue;
      add('Router', e.key, config.router.adapter);
      for (const [k, v] of Object.entries(config.router.settings))
        if (k.toLowerCase() !== 'adapter') add('Router', k, v);
      continue;
    }
    const value = configValue(config, e);
    // An unset number has no empty spelling that parses back: the key is left out.
    if (value === undefined && (e.type.kind === 'int' || e.type.kind === 'number')) continue;
    add(e.section, e.key, formatValue(e, value));
  }
  const priority: [string, string][] = config.fetchers.map((f, i) => [f, String(Math.min(i, 9))]);
  const lines = [`# effective configuration of ${config.file}`];
  const section = (name: string, entries: readonly [string, string][]): void => {
    lines.push('', `[${name}]`, ...entries.map(([k, v]) => `${k}: ${v}`));
  };
  for (const [name, entries] of sections) {
    section(name, entries);
    // As in ztp.ini.example: the fetcher order follows [Startup].
    if (name === 'Startup') section(FETCHER_PRIORITY_SECTION, priority);
  }
  return `${lines.join('\n')}\n`;
}
