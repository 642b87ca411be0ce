/**
 * Reads option 143 / 136 from ISC dhclient lease files, for devices where the OS owns DHCP
 * (`[DHCP] source = lease-file`). With `option sztp-redirect code 143 = string;` (v4) or
 * `option dhcp6.sztp-redirect code 136 = string;` (v6) in dhclient.conf, dhclient writes
 * `option sztp-redirect 0:16:68:...;` (colon hex, used when a byte is not printable) or a
 * quoted string with C escapes into `lease { ... }` / `lease6 { ... }` blocks. The option's name
 * is whatever dhclient.conf declared for the code (field configurations say
 * `sztp-redirect-urls`), so the `option NAME code 143|136 = …;` declarations of the configured
 * dhclient.conf files name it too. The last block for the interface that carries the option wins
 * (dhclient appends newer leases).
 * @module
 */
import { readFile } from 'node:fs/promises';
import { SztpError } from '../errors.ts';
import { SZTP_REDIRECT_OPTION } from './constants.ts';

/** Decodes a dhclient option value: colon hex (`0:16:68`) or a quoted string with escapes. */
export function decodeDhclientValue(text: string, allowRaw = false): Uint8Array {
  const t = text.trim();
  if (t.startsWith('"')) {
    if (!t.endsWith('"') || t.length < 2) throw leaseError(`unterminated string value`);
    const body = t.slice(1, -1);
    const out: number[] = [];
    for (let i = 0; i < body.length; i++) {
      const c = body.charCodeAt(i);
      if (body[i] !== '\\') {
        if (c > 0xff) throw leaseError('non-Latin-1 character in string value');
        out.push(c);
        continue;
      }
      const oct = /^[0-7]{3}/.exec(body.slice(i + 1));
      if (oct !== null) {
        out.push(parseInt(oct[0], 8) & 0xff);
        i += 3;
      } else if (i + 1 < body.length) {
        out.push(body.charCodeAt(i + 1) & 0xff);
        i += 1;
      } else {
        throw leaseError('dangling escape in string value');
      }
    }
    return Uint8Array.from(out);
  }
  if (/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2})*$/.test(t))
    return Uint8Array.from(t.split(':').map((h) => parseInt(h, 16)));
  // udhcpc style: plain hex without separators.
  if (/^([0-9a-fA-F]{2})+$/.test(t)) return Uint8Array.from(Buffer.from(t, 'hex'));
  if (allowRaw && t !== '') return Uint8Array.from(Buffer.from(t, 'latin1'));
  throw leaseError(`value is neither colon-hex, hex nor a quoted string`);
}

function leaseError(message: string): SztpError {
  return new SztpError('SZTP_ERR_DHCP_LEASE_SOURCE', message);
}

/** One lease block: its kind, interface and options (name → raw value text). */
interface LeaseBlock {
  readonly kind: 'lease' | 'lease6';
  readonly iface: string | undefined;
  readonly options: Map<string, string>;
}

/** Tokenises the top-level `lease {}` / `lease6 {}` blocks, honouring quoted strings. */
export function parseLeaseBlocks(text: string): LeaseBlock[] {
  const blocks: LeaseBlock[] = [];
  const re = /\b(lease6?)\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    let depth = 1;
    let i = re.lastIndex;
    let inStr = false;
    for (; i < text.length && depth > 0; i++) {
      const ch = text[i];
      if (inStr) {
        if (ch === '\\') i++;
        else if (ch === '"') inStr = false;
      } else if (ch === '"') inStr = true;
      else if (ch === '{') depth++;
      else if (ch === '}') depth--;
    }
    const body = text.slice(re.lastIndex, i - 1);
    re.lastIndex = i;
    const iface = /(?:^|[;\s{])interface\s+"([^"]*)"\s*;/.exec(body)?.[1];
    const options = new Map<string, string>();
    const optRe = /(?:^|[;\s{])option\s+([A-Za-z0-9_.-]+)\s+((?:"(?:[^"\\]|\\.)*"|[^;"])+);/g;
    let o: RegExpExecArray | null;
    while ((o = optRe.exec(body)) !== null)
      if (o[1] !== undefined && o[2] !== undefined) options.set(o[1], o[2].trim());
    blocks.push({ kind: m[1] === 'lease6' ? 'lease6' : 'lease', iface, options });
  }
  return blocks;
}

/** Option names dhclient uses for 143 / 136 when configured as documented in docs/dhcp.md. */
export const LEASE_OPTION_NAMES = { 4: ['sztp-redirect'], 6: ['dhcp6.sztp-redirect', 'sztp-redirect'] } as const;

/** Option names declared in dhclient.conf for the redirect code, and names declared for other codes. */
export interface DeclaredNames {
  readonly redirect: readonly string[];
  /** Declared with another code: such a name never means the redirect option, even a default one. */
  readonly other: readonly string[];
}

/**
 * The names dhclient.conf text declares for option 143 (v4: `option NAME code 143 = …;`, NAME
 * without an option space or in `dhcp.`) or 136 (v6: `option dhcp6.NAME code 136 = …;`), as they
 * appear in lease files. Comments (`#` to end of line) are ignored.
 */
export function declaredRedirectNames(conf: string, family: 4 | 6): DeclaredNames {
  const text = conf.replace(/#[^\n]*/g, '');
  const redirect: string[] = [];
  const other: string[] = [];
  const re = /(?:^|[;{}\s])option\s+([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)?)\s+code\s+(\d+)\s*=/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const declared = m[1] ?? '';
    const dot = declared.indexOf('.');
    const space = dot < 0 ? undefined : declared.slice(0, dot);
    const inFamily = family === 4 ? space === undefined || space === 'dhcp' : space === 'dhcp6';
    if (!inFamily) continue;
    // dhclient writes dhcp-universe options without the space, dhcp6 ones with it.
    const name = family === 4 && space !== undefined ? declared.slice(dot + 1) : declared;
    (Number(m[2]) === SZTP_REDIRECT_OPTION[family] ? redirect : other).push(name);
  }
  return { redirect, other };
}

/** The lease-file names of the redirect option: the documented defaults unless redeclared, plus the declared ones. */
export function redirectNames(family: 4 | 6, declared: DeclaredNames = { redirect: [], other: [] }): string[] {
  const defaults = LEASE_OPTION_NAMES[family].filter((n) => !declared.other.includes(n));
  return [...new Set([...defaults, ...declared.redirect])];
}

/** Finds the raw redirect option for `ifname` in lease-file text, or undefined; `names` default to {@link redirectNames}. */
export function findRedirectInLeases(
  text: string,
  ifname: string,
  family: 4 | 6,
  names: readonly string[] = redirectNames(family),
): Uint8Array | undefined {
  const kind = family === 4 ? 'lease' : 'lease6';
  let found: string | undefined;
  for (const b of parseLeaseBlocks(text)) {
    if (b.kind !== kind || (b.iface !== undefined && b.iface !== ifname)) continue;
    for (const name of names) {
      const v = b.options.get(name);
      if (v !== undefined) found = v;
    }
  }
  return found === undefined ? undefined : decodeDhclientValue(found);
}

/** The redirect option's lease-file names under the readable files of `confFiles` (missing files declare nothing). */
export async function readDeclaredNames(confFiles: readonly string[], family: 4 | 6): Promise<string[]> {
  const redirect: string[] = [];
  const other: string[] = [];
  for (const file of confFiles) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const d = declaredRedirectNames(text, family);
    redirect.push(...d.redirect);
    other.push(...d.other);
  }
  return redirectNames(family, { redirect, other });
}

/**
 * Reads the configured lease files in order and returns the first redirect option found for the
 * interface. Unreadable files are skipped; none readable → SZTP_ERR_DHCP_LEASE_SOURCE; none
 * holding the option → SZTP_ERR_DHCP_NO_OPTION.
 */
export async function readRedirectFromLeaseFiles(
  files: readonly string[],
  ifname: string,
  family: 4 | 6,
  dhclientConf: readonly string[] = [],
): Promise<{ value: Uint8Array; file: string }> {
  const names = await readDeclaredNames(dhclientConf, family);
  let readable = 0;
  const problems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
      readable++;
    } catch (err) {
      problems.push(`${file}: ${(err as { code?: string }).code ?? String(err)}`);
      continue;
    }
    const value = findRedirectInLeases(text, ifname, family, names);
    if (value !== undefined) return { value, file };
  }
  if (readable === 0) {
    throw new SztpError(
      'SZTP_ERR_DHCP_LEASE_SOURCE',
      `no readable dhclient lease file (${problems.join('; ') || 'none configured'})`,
      { evidence: { files } },
    );
  }
  throw new SztpError(
    'SZTP_ERR_DHCP_NO_OPTION',
    `no lease for ${ifname} carries option ${SZTP_REDIRECT_OPTION[family]} (names tried: ${names.join(', ')})`,
    {
      evidence: { files, interface: ifname, names },
    },
  );
}
