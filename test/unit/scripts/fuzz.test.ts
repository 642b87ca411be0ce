/**
 * Property tests (fast-check, small counts for CI; scripts/fuzz.ts runs ≥100k cases): mutated and
 * truncated DER and JSON/XML thrown at every parser of the trust pipeline: no crash, no hang,
 * only coded errors.
 * @module
 */
import { test } from 'node:test';
import { fuzzTargets } from '../../support/fuzz.ts';

const RUNS = Number(process.env.SZTP_FUZZ_RUNS ?? 150);
for (const t of fuzzTargets()) {
  test(`fuzz: ${t.name} (${RUNS} runs)`, { timeout: 120_000 }, () => t.run(RUNS));
}
