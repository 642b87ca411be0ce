/**
 * `npm run fuzz`: the property tests of every parser of untrusted input (trust pipeline, DHCP and DNS) at volume (default 100 000 cases in total,
 * split over the targets of test/support/fuzz.ts): mutated/truncated DER of every artifact and
 * mutated/random JSON and XML documents. Asserts no crash, no hang (per-case timeout), only coded
 * errors. Options: FUZZ_RUNS=<total> FUZZ_SEED=<int>. Exit 0 when every target passed.
 * @module
 */
import { fuzzTargets } from '../test/support/fuzz.ts';

const total = Number(process.env.FUZZ_RUNS ?? 100_000);
const seed = process.env.FUZZ_SEED === undefined ? Date.now() % 2_147_483_647 : Number(process.env.FUZZ_SEED);
const targets = fuzzTargets();
const per = Math.ceil(total / targets.length);
let failed = 0;
let cases = 0;
const started = performance.now();
console.log(`fuzz: ${targets.length} targets × ${per} cases, seed ${seed}`);
for (const t of targets) {
  const t0 = performance.now();
  try {
    await t.run(per, { seed, timeoutMs: 10_000 });
    console.log(`  ok    ${t.name}: ${per} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    failed++;
    console.log(`  FAIL  ${t.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  cases += per;
}
console.log(
  `fuzz summary: ${cases} cases, ${targets.length - failed}/${targets.length} targets passed, ${failed} failed, ${((performance.now() - started) / 1000).toFixed(1)} s, seed ${seed}`,
);
process.exitCode = failed === 0 ? 0 : 1;
