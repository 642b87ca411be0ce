/**
 * Exponential backoff with jitter between passes that found nothing (pure). The n-th sleep
 * (n = 0, 1, ...) is `min(max, initial · 2^n)` reduced by up to `jitter` of itself, so it never
 * exceeds the cap and never falls below `(1 - jitter)` of the exponential value. Jitter spreads
 * the retries of many devices that booted together (RFC 8572 §5.1 retry after a delay).
 * @module
 */

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Fraction 0..1 of the delay that is randomised (default 0.2). */
  readonly jitter?: number;
}

/** The delay before pass `attempt + 1`; `random` returns values in [0, 1). */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0.2));
  const exponential = policy.initialMs * 2 ** Math.min(Math.max(0, attempt), 52);
  const capped = Math.min(policy.maxMs, exponential);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(capped * (1 - jitter * r));
}
