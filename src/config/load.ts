/**
 * Reads a ztp.ini file and parses it (src/config/load-ini.ts, src/config/parse.ts). Relative paths
 * resolve against the file's directory. When the file does not exist, the embedded defaults are
 * used only if the caller asks for it (`--use-defaults`); otherwise SZTP_ERR_CONFIG_READ.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { parseIniText } from './load-ini.ts';
import { parseConfig } from './parse.ts';
import type { AgentConfig } from './types.ts';
import { isErrno, messageOf } from '../lib/error-info.ts';

export interface LoadOptions {
  /** Use the embedded defaults when the file does not exist. */
  readonly useDefaultsIfMissing?: boolean;
  /** Directory for relative paths when defaults are used (default: the process cwd). */
  readonly cwd?: string;
}

/** Parses ztp.ini text as if it were the file `file` (used by load and by tests). */
export function parseConfigText(text: string, file: string): AgentConfig {
  const absolute = resolve(file);
  return { ...parseConfig(parseIniText(text, file), dirname(absolute)), file: absolute };
}

/** The configuration of a device without ztp.ini. */
export function defaultConfig(cwd: string = process.cwd()): AgentConfig {
  return parseConfig({ file: '<defaults>', sections: [], problems: [] }, cwd);
}

/** Reads and parses `file`; throws ConfigError (SZTP_ERR_CONFIG_READ or the problems found). */
export async function loadConfig(file: string, options: LoadOptions = {}): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const missing = isErrno(err, 'ENOENT');
    if (missing && options.useDefaultsIfMissing === true) return defaultConfig(options.cwd);
    const why = missing ? 'file does not exist' : messageOf(err);
    throw new ConfigError([{ code: 'SZTP_ERR_CONFIG_READ', file, message: `cannot read configuration: ${why}` }]);
  }
  return parseConfigText(text, file);
}
