/**
 * Reading an unknown thrown value: its message, and its errno code (`ENOENT`, ...) as Node sets
 * it on system errors. One way of doing both, instead of casts and regular expressions.
 * @module
 */

/** The message of an Error, or the value as text for anything else thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The errno code (`ENOENT`, `EACCES`, ...) of a system error, if it has one. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** True when `err` is a system error with one of the given errno codes. */
export function isErrno(err: unknown, ...codes: readonly string[]): boolean {
  const code = errnoOf(err);
  return code !== undefined && codes.includes(code);
}
