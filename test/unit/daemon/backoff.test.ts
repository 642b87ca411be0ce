/**
 * Backoff: exponential growth, the cap, and jitter bounds (never above the cap, never below
 * (1 - jitter) of the exponential value).
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { backoffDelayMs } from '../../../src/daemon/backoff.ts';

const policy = { initialMs: 1000, maxMs: 60_000, jitter: 0.2 };

test('without jitter the delay doubles until the cap', () => {
  const delays = Array.from({ length: 9 }, (_, n) => backoffDelayMs(n, policy, () => 0));
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
});

test('jitter stays within [(1 - jitter) · min(max, initial · 2^n), min(max, initial · 2^n)]', () => {
  fc.assert(
    fc.property(fc.nat(200), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r) => {
      const d = backoffDelayMs(n, policy, () => r);
      const capped = Math.min(policy.maxMs, policy.initialMs * 2 ** n);
      assert.ok(d <= capped && d <= policy.maxMs, `${d} > ${capped}`);
      assert.ok(d >= Math.floor(capped * 0.8), `${d} < 0.8 · ${capped}`);
    }),
    { numRuns: 500 },
  );
});

test('jitter actually varies the delay', () => {
  const seen = new Set(Array.from({ length: 50 }, () => backoffDelayMs(3, policy)));
  assert.ok(seen.size > 5);
});

test('huge attempt numbers neither overflow nor exceed the cap', () => {
  assert.equal(
    backoffDelayMs(10_000, policy, () => 0),
    60_000,
  );
  assert.equal(
    backoffDelayMs(-3, policy, () => 0),
    1000,
  );
});
