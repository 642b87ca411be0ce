/**
 * Raw ztp.ini sections → AgentConfig. Pure (no I/O): every value is converted with the schema in
 * src/config/schema.ts, every problem is collected (file, line, section, key) and reported at
 * once in one ConfigError. `[Fetcher Priority]` gives the order fetchers are tried (0 first, ties
 * in file order, unlisted = disabled). Sections the agent does not own are kept for adapters.
 * @module
 */
import { posix } from 'node:path';
import { adapterSections, builtinAdapter } from '../adapters/registry.ts';
import { ConfigError, isSztpError, type ConfigProblem, type SztpErrorCode } from '../errors.ts';
import { BOOLEAN_GRAMMAR, parseBoolean } from '../lib/bool.ts';
import { parseHttpsHostPort } from '../lib/https-uri.ts';
import type { RawEntry, RawIni, RawSection } from './load-ini.ts';
import { certRefProblem, isHardwareRef, keyRefProblem } from '../platform/device-key-ref.ts';
import { defaultFetchers } from './fetchers.ts';
import {
  CONFIG_SCHEMA,
  FETCHER_PRIORITY_SECTION,
  OPEN_SECTIONS,
  agentSection,
  schemaEntry,
  type ConfigPath,
  type SchemaEntry,
} from './schema.ts';
import { FETCHER_NAMES, type AgentConfig, type FetcherName } from './types.ts';

type Value = string | number | boolean | readonly string[] | undefined;

/** Converts raw sections to an AgentConfig, or throws a ConfigError listing every problem. */
export function parseConfig(raw: RawIni, baseDir: string): AgentConfig {
  const problems: ConfigProblem[] = [...raw.problems];
  const file = raw.file;
  const problem = (
    code: SztpErrorCode,
    e: { line?: number; section?: string; key?: string },
    message: string,
  ): void => {
    problems.push({
      code,
      file,
      ...e,
      message: e.section === undefined ? message : `[${e.section}] ${e.key ?? ''}: ${message}`,
    });
  };

  const given = new Map<SchemaEntry, RawEntry>();
  const others: RawSection[] = [];
  let priority: RawSection | undefined;
  for (const section of raw.sections) {
    const canonical = agentSection(section.name);
    if (canonical === undefined) {
      others.push(section);
      continue;
    }
    if (canonical === FETCHER_PRIORITY_SECTION) {
      priority = section;
      continue;
    }
    for (const entry of section.entries) {
      const schema = schemaEntry(canonical, entry.key);
      if (schema !== undefined) given.set(schema, entry);
      else if (!OPEN_SECTIONS.includes(canonical)) {
        problem('SZTP_ERR_CONFIG_UNKNOWN_KEY', { line: entry.line, section: canonical, key: entry.key }, 'unknown key');
      }
    }
  }

  const values = new Map<ConfigPath | SchemaEntry, Value>();
  for (const schema of CONFIG_SCHEMA) {
    const entry = given.get(schema);
    const text = entry?.value ?? schema.default;
    const converted = text === undefined ? { ok: true as const, value: undefined } : convert(schema, text, baseDir);
    if (converted.ok) values.set(schema.path === 'router.settings' ? schema : schema.path, converted.value);
    else
      problem(
        'SZTP_ERR_CONFIG_VALUE',
        {
          ...(entry === undefined ? {} : { line: entry.line }),
          section: schema.section,
          key: entry?.key ?? schema.key,
        },
        converted.message,
      );
  }
  const numb = (path: ConfigPath): number => {
    const x = values.get(path);
    return typeof x === 'number' ? x : 0;
  };
  const str = (path: ConfigPath): string | undefined => {
    const x = values.get(path);
    return typeof x === 'string' ? x : undefined;
  };

  const serversValue = values.get('bootstrap.servers');
  const servers = Array.isArray(serversValue) ? (serversValue as readonly string[]) : [];
  const serversEntry = entryOf(given, 'Bootstrap', 'servers');
  for (const uri of servers) {
    const parsed = parseHttpsHostPort(uri);
    if (!parsed.ok)
      problem(
        'SZTP_ERR_CONFIG_VALUE',
        { ...lineOf(serversEntry), section: 'Bootstrap', key: 'servers' },
        `${uri}: ${parsed.reason}`,
      );
  }
  if (numb('agent.backoffMaxSeconds') < numb('agent.backoffInitialSeconds')) {
    const e = entryOf(given, 'Agent', 'backoff_max_seconds') ?? entryOf(given, 'Agent', 'backoff_initial_seconds');
    problem(
      'SZTP_ERR_CONFIG_VALUE',
      { ...lineOf(e), section: 'Agent', key: 'backoff_max_seconds' },
      'must not be smaller than backoff_initial_seconds',
    );
  }

  const listed =
    priority === undefined
      ? undefined
      : parsePriorities(priority, (line, key, code, message) => {
          problem(code, { line, section: FETCHER_PRIORITY_SECTION, key }, message);
        });

  problems.push(...adapterSettingsProblems(raw, others, str('router.adapter') ?? 'simulated'));

  if (problems.length > 0)
    throw new ConfigError([...problems].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity)));

  const adapter = str('router.adapter') ?? 'simulated';
  // Every schema row lands at its path; an unset optional value leaves its field out.
  const groups: Record<string, Record<string, unknown>> = {};
  for (const [path, value] of values) {
    if (typeof path !== 'string' || value === undefined) continue;
    const [group, field] = path.split('.') as [string, string];
    (groups[group] ??= {})[field] = value;
  }
  groups.router = { ...groups.router, adapter, settings: adapterSettings(raw.sections, others, adapter) };
  const config = { file, baseDir, ...groups } as unknown as Omit<AgentConfig, 'fetchers'>;
  // `fetchers` after `startup`, as `config --json` has always printed it.
  const { file: _file, baseDir: _baseDir, startup, ...rest } = config;
  return { file, baseDir, startup, fetchers: listed ?? defaultFetchers(config), ...rest };
}

/** Converts one value; `ok: false` carries the reason. Empty optional values mean "unset". */
export function convert(
  schema: SchemaEntry,
  text: string,
  baseDir: string,
): { ok: true; value: Value } | { ok: false; message: string } {
  const t = schema.type;
  const s = text.trim();
  switch (t.kind) {
    case 'bool': {
      const value = parseBoolean(s);
      return value === undefined
        ? { ok: false, message: `expected ${BOOLEAN_GRAMMAR}, got ${JSON.stringify(s)}` }
        : { ok: true, value };
    }
    case 'int':
    case 'number': {
      const re = t.kind === 'int' ? /^\d+$/ : /^\d+(\.\d+)?$/;
      const n = Number(s);
      if (!re.test(s) || !Number.isFinite(n) || n < t.min || n > t.max) {
        return {
          ok: false,
          message: `expected ${t.kind === 'int' ? 'an integer' : 'a number'} in ${t.min}..${t.max}, got ${JSON.stringify(s)}`,
        };
      }
      return { ok: true, value: n };
    }
    case 'enum': {
      const found = t.values.find((x) => x.toLowerCase() === s.toLowerCase());
      return found === undefined
        ? { ok: false, message: `expected one of ${t.values.join(', ')}, got ${JSON.stringify(s)}` }
        : { ok: true, value: found };
    }
    case 'list':
      return { ok: true, value: splitList(s) };
    case 'path-list':
      return { ok: true, value: splitList(s).map((p) => posix.resolve(baseDir, p)) };
    case 'path':
      if (s === '')
        return schema.default === undefined
          ? { ok: true, value: undefined }
          : { ok: false, message: 'must not be empty' };
      return { ok: true, value: posix.resolve(baseDir, s) };
    case 'key-ref': {
      if (s === '') return { ok: true, value: undefined };
      if (!isHardwareRef(s)) return { ok: true, value: posix.resolve(baseDir, s) };
      const problem = schema.key === 'idevid_cert' ? certRefProblem(s) : keyRefProblem(s);
      return problem === undefined ? { ok: true, value: s } : { ok: false, message: problem };
    }
    case 'string':
      if (s === '')
        return schema.default === undefined
          ? { ok: true, value: undefined }
          : { ok: false, message: 'must not be empty' };
      return { ok: true, value: s };
  }
}

export function splitList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function parsePriorities(
  section: RawSection,
  report: (line: number, key: string, code: SztpErrorCode, message: string) => void,
): FetcherName[] {
  const listed: { name: FetcherName; priority: number; order: number }[] = [];
  section.entries.forEach((entry, order) => {
    const name = FETCHER_NAMES.find((n) => n.toLowerCase() === entry.key.toLowerCase());
    if (name === undefined) {
      report(
        entry.line,
        entry.key,
        'SZTP_ERR_CONFIG_UNKNOWN_KEY',
        `unknown fetcher (known: ${FETCHER_NAMES.join(', ')})`,
      );
      return;
    }
    if (!/^\d$/.test(entry.value.trim())) {
      report(
        entry.line,
        entry.key,
        'SZTP_ERR_CONFIG_VALUE',
        `priority must be an integer 0..9, got ${JSON.stringify(entry.value)}`,
      );
      return;
    }
    listed.push({ name, priority: Number(entry.value.trim()), order });
  });
  return listed.sort((a, b) => a.priority - b.priority || a.order - b.order).map((x) => x.name);
}

/** Runs the built-in adapter's settings check with the file; a problem names the line of its key. */
function adapterSettingsProblems(raw: RawIni, others: readonly RawSection[], adapter: string): ConfigProblem[] {
  const builtin = builtinAdapter(adapter.toLowerCase());
  if (builtin === undefined) return [];
  try {
    builtin.checkSettings(adapterSettings(raw.sections, others, adapter));
    return [];
  } catch (err) {
    if (!isSztpError(err)) throw err;
    const key = err.evidence?.key;
    const wanted = new Set(builtin.sections.map((s) => s.toLowerCase()));
    const sections = [
      raw.sections.find((s) => s.name.toLowerCase() === 'router'),
      ...others.filter((s) => wanted.has(s.name.toLowerCase())),
    ];
    const entry = sections
      .flatMap((s) => s?.entries ?? [])
      .filter((e) => e.key === key)
      .pop();
    return [{ code: err.code, file: raw.file, ...lineOf(entry), message: err.message }];
  }
}

/** `[Router]` keys, overridden by the adapter's other sections (src/adapters/registry.ts: `[<Adapter> Adapter]`, `[Command Adapter]` for the command family). */
function adapterSettings(
  all: readonly RawSection[],
  others: readonly RawSection[],
  adapter: string,
): Record<string, string> {
  const settings: Record<string, string> = {};
  const router = all.find((s) => s.name.toLowerCase() === 'router');
  for (const e of router?.entries ?? []) settings[e.key] = e.value;
  const wanted = new Set(adapterSections(adapter).map((s) => s.toLowerCase()));
  for (const section of others) {
    if (!wanted.has(section.name.toLowerCase())) continue;
    for (const e of section.entries) settings[e.key] = e.value;
  }
  return settings;
}

function entryOf(given: ReadonlyMap<SchemaEntry, RawEntry>, section: string, key: string): RawEntry | undefined {
  const schema = schemaEntry(section, key);
  return schema === undefined ? undefined : given.get(schema);
}

function lineOf(entry: RawEntry | undefined): { line?: number } {
  return entry === undefined ? {} : { line: entry.line };
}
