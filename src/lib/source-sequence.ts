/**
 * Lazy sequences of onboarding sources (RFC 8572 §5.6, C-114 "return to the enclosing loop"): a
 * fetcher walks its candidates (mount points, interfaces, redirect entries, addresses) as an
 * async generator; the daemon takes the first source and, when onboarding from it fails, asks the
 * source's `next` for the following one. A generator yields sources and, when exhausted, throws
 * the error that sums up why nothing (more) worked.
 * @module
 */
import type { OnboardingSource } from '../contracts/fetch.ts';
import { SztpError } from '../errors.ts';

/** The first source of `it`; its `next` continues the same generator. Rejects when `it` is exhausted. */
export async function firstOf(it: AsyncIterator<OnboardingSource>, describe: string): Promise<OnboardingSource> {
  const r = await it.next();
  if (r.done === true) throw new SztpError('SZTP_ERR_SERVER_EXHAUSTED', `${describe}: no further source`);
  return { ...r.value, next: () => firstOf(it, describe) };
}

/** The source and every source after it (through `next`), as a generator; `next` failures propagate. */
export async function* sourcesFrom(first: OnboardingSource): AsyncGenerator<OnboardingSource, void, undefined> {
  let s: OnboardingSource | undefined = first;
  while (s !== undefined) {
    const current: OnboardingSource = s;
    const { next: following, ...plain } = current;
    yield plain;
    s = following === undefined ? undefined : await following();
  }
}
