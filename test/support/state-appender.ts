/**
 * Child process for the cross-process state test: waits until `start` (ms since the epoch), then
 * appends `count` events tagged `tag` to the state in `dir`, one store update each, and exits.
 * Two of these run at once; every event of both must survive. For tests only.
 * @module
 */
import { pino } from 'pino';
import { createStateStore } from '../../src/state/store.ts';

const [dir, tag, countText, startText] = process.argv.slice(2);
if (dir === undefined || tag === undefined || countText === undefined || startText === undefined) process.exit(2);
const store = createStateStore({ dir, log: pino({ level: 'silent' }) });
const start = Number(startText);
while (Date.now() < start) await new Promise((r) => setTimeout(r, Math.max(1, start - Date.now())));
for (let i = 0; i < Number(countText); i++) {
  await store.update((s) => ({
    ...s,
    events: [...s.events, { progressType: 'informational', time: new Date().toISOString(), message: `${tag} ${i}` }],
  }));
}
