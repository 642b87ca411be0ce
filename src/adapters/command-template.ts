/**
 * Command templates of the command adapter (docs/command-adapter.md): a template string from
 * ztp.ini is split into argv once, at load time, with small shell-like quoting rules, and
 * placeholders are later replaced inside single argv elements. No shell ever sees received data:
 * a substituted value can never split into several arguments or be re-parsed.
 *
 * Quoting rules:
 * - unquoted whitespace separates arguments;
 * - `'...'` is literal text: no escapes, no placeholders (fixed `sh -c '...'` scripts go here);
 * - `"..."` groups text with spaces; `\"` and `\\` are escapes; placeholders are substituted;
 * - outside quotes, `\x` is the literal character x;
 * - `{name}` (lower-case letters, digits, `_`) outside single quotes is a placeholder. A token that
 *   is exactly `{name}` where `name` is a load-time macro expands to the macro's whole argv.
 * Pure module (no I/O).
 * @module
 */
import { SztpError } from '../errors.ts';

interface Segment {
  readonly text: string;
  /** True for single-quoted or backslash-escaped text: never substituted. */
  readonly literal: boolean;
}

/** One argv element before substitution. */
export type TemplateToken = readonly Segment[];

/** A parsed template: argv elements made of segments. */
export interface CommandTemplate {
  /** The setting key the template came from (for errors). */
  readonly key: string;
  readonly source: string;
  readonly tokens: readonly TemplateToken[];
}

const PLACEHOLDER = /\{([a-z][a-z0-9_]*)\}/g;

function templateError(key: string, source: string, message: string): SztpError {
  return new SztpError('SZTP_ERR_CONFIG_VALUE', `[Command Adapter] ${key}: ${message}`, {
    stage: 'config',
    evidence: { key, template: source },
  });
}

/** Splits a template into tokens. Throws SZTP_ERR_CONFIG_VALUE on unbalanced quotes or a dangling backslash. */
export function splitTemplate(key: string, source: string): TemplateToken[] {
  const tokens: Segment[][] = [];
  let current: Segment[] | undefined;
  const add = (text: string, literal: boolean): void => {
    current ??= [];
    const last = current[current.length - 1];
    if (last !== undefined && last.literal === literal)
      current[current.length - 1] = { text: last.text + text, literal };
    else current.push({ text, literal });
  };
  let i = 0;
  while (i < source.length) {
    const c = source.charAt(i);
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (current !== undefined) tokens.push(current);
      current = undefined;
      i += 1;
    } else if (c === "'") {
      const end = source.indexOf("'", i + 1);
      if (end < 0) throw templateError(key, source, 'unbalanced single quote');
      add(source.slice(i + 1, end), true);
      i = end + 1;
    } else if (c === '"') {
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw templateError(key, source, 'unbalanced double quote');
        const d = source.charAt(j);
        if (d === '"') break;
        if (d === '\\' && (source.charAt(j + 1) === '"' || source.charAt(j + 1) === '\\')) {
          text += source.charAt(j + 1);
          j += 2;
        } else {
          text += d;
          j += 1;
        }
      }
      add(text, false);
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 >= source.length) throw templateError(key, source, 'dangling backslash');
      add(source.charAt(i + 1), true);
      i += 2;
    } else {
      add(c, false);
      i += 1;
    }
  }
  if (current !== undefined) tokens.push(current);
  return tokens;
}

/** Placeholder names used by a token list (outside literal text). */
export function placeholdersOf(tokens: readonly TemplateToken[]): Set<string> {
  const names = new Set<string>();
  for (const token of tokens) {
    for (const seg of token) {
      if (seg.literal) continue;
      for (const m of seg.text.matchAll(PLACEHOLDER)) if (m[1] !== undefined) names.add(m[1]);
    }
  }
  return names;
}

const tokenText = (token: TemplateToken): string => token.map((seg) => seg.text).join('');

/**
 * Programs that treat some argument as program text (shells and their `-c`, script interpreters and
 * their `-c`/`-e`/script operand, awk/sed programs, `su -c`, `ssh`'s remote command line, `watch`,
 * `env -S`, router CLIs such as `vtysh -c`). Names may carry a path and a version suffix
 * (`/usr/bin/python3.11`).
 */
const INTERPRETER =
  /(^|\/)(sh|bash|dash|ash|ksh|mksh|zsh|fish|csh|tcsh|busybox|python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|node|nodejs|deno|bun|php[0-9.]*|lua[0-9.]*|luajit|tclsh[0-9.]*|wish[0-9.]*|expect|awk|gawk|mawk|nawk|sed|gsed|su|runuser|sudo|doas|ssh|watch|script|env|xargs|eval|exec|pwsh|powershell|osascript|vtysh|clish|klish|cli|sonic-cli|xr-cli)$/;

/** The interpreter named by some token of the template, if any. */
export function interpreterOf(tokens: readonly TemplateToken[]): string | undefined {
  for (const token of tokens) {
    const text = tokenText(token);
    if (INTERPRETER.test(text)) return text;
  }
  return undefined;
}

/**
 * Where received placeholders (`names`) could become code rather than data: spliced into a larger
 * argv element (`"... {os_name}"`, `--v={os_version}`), or anywhere in a command that involves an
 * interpreter (its program text, its script operand, or its positional arguments, which programs
 * such as `sh -c 'eval "$1"'` may still run). Received data may only be a whole argv element of a
 * non-interpreter; interpreters get it from the environment instead.
 */
export function receivedAsCode(
  tokens: readonly TemplateToken[],
  names: ReadonlySet<string>,
): { readonly name: string; readonly why: string } | undefined {
  const interpreter = interpreterOf(tokens);
  for (const token of tokens) {
    for (const name of placeholdersOf([token])) {
      if (!names.has(name)) continue;
      if (interpreter !== undefined)
        return { name, why: `the command runs the interpreter ${interpreter}, which could execute it` };
      if (wholePlaceholder(token) !== name) return { name, why: 'it is spliced into a larger argument' };
    }
  }
  return undefined;
}

function wholePlaceholder(token: TemplateToken): string | undefined {
  const only = token.length === 1 ? token[0] : undefined;
  if (only === undefined || only.literal) return undefined;
  const m = /^\{([a-z][a-z0-9_]*)\}$/.exec(only.text);
  return m?.[1];
}

/**
 * Parses `source` and expands load-time macros (tokens that are exactly `{macro}`), then checks
 * that every remaining placeholder is in `allowed`. Macros hold already-parsed token lists.
 */
export function compileTemplate(
  key: string,
  source: string,
  macros: ReadonlyMap<string, readonly TemplateToken[]>,
  allowed: ReadonlySet<string>,
): CommandTemplate {
  const tokens: TemplateToken[] = [];
  for (const token of splitTemplate(key, source)) {
    const name = wholePlaceholder(token);
    const macro = name === undefined ? undefined : macros.get(name);
    if (macro !== undefined) tokens.push(...macro);
    else tokens.push(token);
  }
  if (tokens.length === 0) throw templateError(key, source, 'empty command');
  for (const name of placeholdersOf(tokens)) {
    if (!allowed.has(name)) {
      throw templateError(
        key,
        source,
        `placeholder {${name}} is not available here (allowed: ${[...allowed].map((a) => `{${a}}`).join(' ') || 'none'})`,
      );
    }
  }
  return { key, source, tokens };
}

/** Substitutes placeholder values; each token stays exactly one argv element. */
export function renderTemplate(template: CommandTemplate, values: Readonly<Record<string, string>>): string[] {
  return template.tokens.map((token) =>
    token
      .map((seg) =>
        seg.literal ? seg.text : seg.text.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole),
      )
      .join(''),
  );
}
