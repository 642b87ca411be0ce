/**
 * Child process for the state atomicity test: rewrites the state in `argv[2]` in a tight loop
 * (each update adds an event and grows the payload), printing "ready" after the first write.
 * The test SIGKILLs it at random moments. For tests only.
 * @module
 */
import { pino } from 'pino';
import { createStateStore } from '../../src/state/store.ts';

const dir = process.argv[2];
if (dir === undefined) process.exit(2);
const store = createStateStore({ dir, log: pino({ level: 'silent' }) });
let n = 0;
for (;;) {
  n++;
  await store.update((s) => ({
    ...s,
    phase: n % 2 === 0 ? 'in-progress' : 'factory-default',
    source: `writer-${n}-${'x'.repeat(n % 5000)}`,
    events: [...s.events, { progressType: 'informational', time: new Date().toISOString(), message: `update ${n}` }],
  }));
  if (n === 1) process.stdout.write('ready\n');
}
