/**
 * The download's GC pacer (src/download/gc-pacer.ts): a collection once every 1 MiB received,
 * not before; the default collector really runs a V8 minor collection (observed through node's
 * 'gc' performance entries).
 * @module
 */
import assert from 'node:assert/strict';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { test } from 'node:test';
import { GcPacer } from '../../../src/download/gc-pacer.ts';

test('GcPacer: one collection per 1 MiB received, none before', () => {
  let n = 0;
  const pacer = new GcPacer(() => {
    n++;
  });
  for (let i = 0; i < 63; i++) pacer.received(16 * 1024);
  assert.equal(n, 0);
  pacer.received(16 * 1024);
  assert.equal(n, 1);
  for (let i = 0; i < 63; i++) pacer.received(16 * 1024);
  assert.equal(n, 1);
  pacer.received(16 * 1024);
  assert.equal(n, 2);
});

test('GcPacer: the default collector runs a V8 minor collection', async () => {
  let minor = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)
        minor++;
  });
  obs.observe({ entryTypes: ['gc'] });
  new GcPacer().received(1024 * 1024);
  await new Promise((r) => setTimeout(r, 50)); // entries are delivered asynchronously
  obs.disconnect();
  assert.ok(minor >= 1);
});
