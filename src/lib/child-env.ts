/**
 * The environment a child process (adapter command, pre/post-configuration script) inherits from
 * the agent: only the variables a program needs to run in the right locale and time zone, never
 * secrets or configuration the agent itself was given.
 * @module
 */

/** Variables passed on from the agent's environment; everything else is withheld. */
export const CHILD_ENV_ALLOWLIST = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'USER',
  'LOGNAME',
  'TMPDIR',
] as const;

/** The allowlisted variables of `source` (default: this process), then `extra` on top. */
export function childEnv(
  source: Readonly<Record<string, string | undefined>> = process.env,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of CHILD_ENV_ALLOWLIST) {
    const v = source[k];
    if (v !== undefined) env[k] = v;
  }
  return Object.assign(env, extra);
}
