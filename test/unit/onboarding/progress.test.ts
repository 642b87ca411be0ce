import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SztpError } from '../../../src/errors.ts';
import { MAX_MESSAGE_CHARS, createProgress } from '../../../src/onboarding/progress.ts';
import { MAX_EVENTS as MAX_RECORDED_EVENTS } from '../../../src/state/machine.ts';
import type { ProgressEvent } from '../../../src/progress/reporter.ts';
import { MemoryStore } from '../../support/memory-store.ts';
import { silentLog } from '../../support/onboarding-env.ts';

const now = (): Date => new Date('2026-01-02T03:04:05Z');

describe('progress events', () => {
  test('recorded in the state with time and source, and reported', async () => {
    const store = new MemoryStore();
    const sent: ProgressEvent[] = [];
    const p = createProgress(
      {
        description: 'usb:/x',
        reporter: {
          report: (e) => {
            sent.push(e);
            return Promise.resolve();
          },
        },
      },
      { store, log: silentLog, now },
    );
    await p.emit('bootstrap-initiated', 'hello');
    await p.emit('config-initiated');
    const { events } = await store.read();
    assert.deepEqual(events, [
      { progressType: 'bootstrap-initiated', time: '2026-01-02T03:04:05.000Z', source: 'usb:/x', message: 'hello' },
      { progressType: 'config-initiated', time: '2026-01-02T03:04:05.000Z', source: 'usb:/x' },
    ]);
    assert.deepEqual(sent, [
      { progressType: 'bootstrap-initiated', message: 'hello' },
      { progressType: 'config-initiated' },
    ]);
  });

  test('only bootstrap-initiated and bootstrap-complete reports may fail the attempt', async () => {
    const store = new MemoryStore();
    const p = createProgress(
      {
        description: 's',
        reporter: { report: () => Promise.reject(new SztpError('SZTP_ERR_PROGRESS_REPORT', 'no 204')) },
      },
      { store, log: silentLog, now },
    );
    await assert.rejects(p.emit('bootstrap-initiated'), { code: 'SZTP_ERR_PROGRESS_REPORT' });
    await assert.rejects(p.emit('bootstrap-complete'), { code: 'SZTP_ERR_PROGRESS_REPORT' });
    await p.emit('config-error', 'x');
    await p.emit('pre-script-warning', 'x');
    assert.equal((await store.read()).events.length, 4, 'recorded even when the report fails');
  });

  test('messages are clipped and the history is bounded', async () => {
    const store = new MemoryStore();
    const p = createProgress(
      { description: 's', reporter: { report: () => Promise.resolve() } },
      { store, log: silentLog, now },
    );
    await p.emit('informational', 'x'.repeat(MAX_MESSAGE_CHARS * 2));
    assert.ok(((await store.read()).events[0]?.message?.length ?? 0) < MAX_MESSAGE_CHARS + 50);
    for (let i = 0; i < MAX_RECORDED_EVENTS + 5; i += 1) await p.emit('informational', String(i));
    const { events } = await store.read();
    assert.equal(events.length, MAX_RECORDED_EVENTS);
    assert.equal(events.at(-1)?.message, String(MAX_RECORDED_EVENTS + 4));
  });
});
