/**
 * Child process for the lock race test: at `start + i * period` (ms since the epoch) for each
 * trial i, tries to take the state-directory lock of `dir`; prints `got <i> <from> <to>` (the
 * time it held it) or `busy <i>`. Two of these race over a stale lock file. For tests only.
 * @module
 */
import { acquireLock } from '../../src/platform/lock.ts';

const [dir, trialsText, startText, periodText] = process.argv.slice(2);
if (dir === undefined || trialsText === undefined || startText === undefined || periodText === undefined)
  process.exit(2);
const trials = Number(trialsText);
const start = Number(startText);
const period = Number(periodText);
for (let i = 0; i < trials; i++) {
  const at = start + i * period;
  while (Date.now() < at - 5) await new Promise((r) => setTimeout(r, Math.max(1, at - Date.now() - 5)));
  while (Date.now() < at) {
    /* spin for a sharp start */
  }
  try {
    const lock = await acquireLock(dir);
    const from = Date.now();
    await new Promise((r) => setTimeout(r, period / 4));
    const to = Date.now();
    await lock.release();
    process.stdout.write(`got ${i} ${from} ${to}\n`);
  } catch {
    process.stdout.write(`busy ${i}\n`);
  }
}
