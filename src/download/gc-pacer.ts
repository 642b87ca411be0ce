/**
 * Young-generation garbage collection paced by the bytes a download receives (issue 15: peak RSS
 * of a 1 GiB boot-image download). Node's HTTPS receive path allocates a fresh buffer for every
 * 16 kB TLS record; the JS side of each is tiny, so V8 collects them only when their external
 * memory adds up (about 14 MB at a time, 38 collections for 512 MiB), and with malloc's own
 * slack a plain `https.get` of 512 MiB into nothing lifts RSS by about 40 MB. A minor collection
 * (scavenge, well under a millisecond with the agent's small young generation) every 1 MiB
 * received keeps that growth near 16 MB at no measurable throughput cost (bench/download.ts;
 * 1 MiB rather than 2 took 1–3 MiB off the agent's peak, which sits close to the 80 MB target).
 * The `gc` function is obtained once through V8's --expose-gc flag in a fresh context; if that
 * is unavailable the pacer does nothing, and nothing else depends on it.
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type MinorGc = (options: { type: 'minor' }) => void;

const EVERY_BYTES = 1024 * 1024;
let collect: MinorGc | null | undefined;

function minorGc(): MinorGc | null {
  if (collect !== undefined) return collect;
  try {
    const existing: unknown = (globalThis as { gc?: unknown }).gc;
    if (typeof existing === 'function') {
      collect = existing as MinorGc;
    } else {
      setFlagsFromString('--expose-gc');
      const fn: unknown = runInNewContext('gc');
      collect = typeof fn === 'function' ? (fn as MinorGc) : null;
    }
  } catch {
    collect = null;
  }
  return collect;
}

/** Counts received bytes and runs a minor collection every 1 MiB (`collect`: V8's, by default). */
export class GcPacer {
  private since = 0;

  constructor(private readonly collect: () => void = () => minorGc()?.({ type: 'minor' })) {}

  received(bytes: number): void {
    this.since += bytes;
    if (this.since < EVERY_BYTES) return;
    this.since = 0;
    this.collect();
  }
}
