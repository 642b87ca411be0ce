/**
 * Reads option 143 / 136 captured by a DHCP client hook script (`[DHCP] source = hook`). The hook
 * scripts shipped in `packaging/dhcp-hooks/` write `<hookDir>/<interface>.env`, one `NAME=value`
 * per line, copying the variables the DHCP client passed them:
 * - ISC dhclient (exit hook): `new_sztp_redirect` (v4), `new_dhcp6_sztp_redirect` (v6), values in
 *   dhclient's colon-hex or quoted-string form;
 * - busybox udhcpc (`-O 143`): `opt143` as plain hex.
 * Values may be wrapped in single quotes (shell quoting). dhclient passes a printable string
 * option unquoted, so a value that is neither hex nor quoted is taken as raw text.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SztpError } from '../errors.ts';
import { decodeDhclientValue } from './lease-file.ts';

export const HOOK_VARIABLES = {
  4: ['new_sztp_redirect', 'opt143'],
  6: ['new_dhcp6_sztp_redirect', 'opt136'],
} as const;

/** Parses the env file text into a map (last assignment wins; `export ` prefixes allowed). */
export function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/^export\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1);
    // Single quotes are shell quoting; double quotes are dhclient's string form (kept).
    if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) value = value.slice(1, -1);
    out.set(line.slice(0, eq), value);
  }
  return out;
}

/** Finds the raw redirect value in env text, or undefined. */
export function findRedirectInEnv(text: string, family: 4 | 6): Uint8Array | undefined {
  const env = parseEnvFile(text);
  for (const name of HOOK_VARIABLES[family]) {
    const v = env.get(name);
    if (v !== undefined && v.trim() !== '') return decodeDhclientValue(v, true);
  }
  return undefined;
}

/** Reads `<hookDir>/<ifname>.env`. Missing file → SZTP_ERR_DHCP_LEASE_SOURCE; no variable → NO_OPTION. */
export async function readRedirectFromHook(
  hookDir: string,
  ifname: string,
  family: 4 | 6,
): Promise<{ value: Uint8Array; file: string }> {
  const file = join(hookDir, `${ifname}.env`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SztpError('SZTP_ERR_DHCP_LEASE_SOURCE', `hook environment ${file} cannot be read`, {
      cause: err,
      evidence: { file },
    });
  }
  const value = findRedirectInEnv(text, family);
  if (value === undefined) {
    throw new SztpError('SZTP_ERR_DHCP_NO_OPTION', `${file} holds none of ${HOOK_VARIABLES[family].join(', ')}`, {
      evidence: { file },
    });
  }
  return { value, file };
}
