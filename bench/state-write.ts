/**
 * The cost of the cross-process state lock (issue 12, item 11): every state update holds
 * `state.lock` with flock(2), and Node has no flock call, so each update starts the `flock`
 * utility once. Measured in the same run, same directory, same state text (a state with 100
 * events, about the size a real onboarding leaves):
 * - baseline: one atomic write of the state text (temp, fsync, rename, fsync dir);
 * - the lock alone: open state.lock, lock it through `flock`, close;
 * - a store update as the agent makes it: lock, read, change, two atomic writes (state.json and
 *   its backup state.json.bak), unlock.
 * The three run interleaved, one of each per round. Prints the median per operation and the ratios
 * against the baseline. BENCH_N operations each
 * (default 200); BENCH_DIR the directory (default the OS temp dir; put it on the device's state
 * file system to measure that one). `npm run bench -- state-write`.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { flockFile } from '../src/platform/flock.ts';
import { writeFileAtomic } from '../src/lib/fs-atomic.ts';
import { initialState } from '../src/state/machine.ts';
import { createStateStore } from '../src/state/store.ts';

const N = Number(process.env.BENCH_N ?? 200);
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'sztp-bench-state-'));

type Op = (i: number) => Promise<void>;

/** Runs the operations interleaved (one of each per round, so machine load hits all alike); median ms of each. */
async function medians(ops: readonly Op[]): Promise<number[]> {
  for (let i = 0; i < 10; i++) for (const op of ops) await op(i); // warm-up
  const times = ops.map(() => [] as number[]);
  for (let i = 0; i < N; i++) {
    for (const [k, op] of ops.entries()) {
      const t0 = performance.now();
      await op(i);
      times[k]?.push(performance.now() - t0);
    }
  }
  return times.map((xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0);
}

try {
  const events = Array.from({ length: 100 }, (_, i) => ({
    progressType: 'informational' as const,
    time: new Date().toISOString(),
    message: `event ${i}`,
  }));
  const text = `${JSON.stringify({ ...initialState(), events }, null, 2)}\n`;
  const store = createStateStore({ dir, log: pino({ level: 'silent' }) });
  await store.update((s) => ({ ...s, events }));
  console.log(`state: ${text.length} bytes; ${N} operations each in ${dir}`);
  const [write = 0, lock = 0, update = 0] = await medians([
    () => writeFileAtomic(join(dir, 'plain.json'), text, 0o600),
    async () => {
      const handle = await flockFile(join(dir, 'state.lock'), { waitMs: 10_000 });
      await handle?.close();
    },
    async (i) => {
      await store.update((s) => ({ ...s, source: `bench ${i}` }));
    },
  ]);
  const rows: [string, number][] = [
    ['baseline: one atomic write of state.json', write],
    ['state.lock alone (open, flock utility, close)', lock],
    ['store.update (lock, read, state.json + .bak, unlock)', update],
  ];
  for (const [label, ms] of rows) console.log(`${label.padEnd(58)} ${ms.toFixed(2).padStart(7)} ms median`);
  console.log(
    `ratios vs one atomic write: lock ${(lock / write).toFixed(2)}x; whole update ${(update / write).toFixed(2)}x; ` +
      `lock share of an update ${((100 * lock) / update).toFixed(0)}%`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
