/**
 * One pass: fetchers tried in the given order, each failure logged with its code and the next
 * fetcher tried (also for errors without a code), a found source applied and released, a failed
 * apply moving on, abort between fetchers, and the last error recorded in the state.
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPass } from '../../../src/daemon/agent.ts';
import { SztpError } from '../../../src/errors.ts';
import type { ApplyOutcome } from '../../../src/onboarding/types.ts';
import { MemoryStore } from '../../support/memory-store.ts';
import { captureLog, fakeContext, fakeFetcher, fakeSource, testConfig } from './fakes.ts';

function deps(
  fetchers: ReturnType<typeof fakeFetcher>[],
  apply: () => Promise<ApplyOutcome>,
  controller = new AbortController(),
) {
  const { log, lines } = captureLog();
  const store = new MemoryStore();
  const config = testConfig();
  return {
    lines,
    store,
    controller,
    d: {
      fetchers,
      context: fakeContext(config, log, controller.signal),
      apply,
      store,
      log,
      signal: controller.signal,
      now: () => new Date('2026-01-01T00:00:00Z'),
    },
  };
}

/** An apply that fails its first call with SZTP_ERR_CONFIG_COMMIT and asks for a reboot afterwards. */
function commitRejectedOnce(): () => Promise<ApplyOutcome> {
  let n = 0;
  return () =>
    n++ === 0
      ? Promise.reject(new SztpError('SZTP_ERR_CONFIG_COMMIT', 'rejected'))
      : Promise.resolve({ kind: 'reboot' });
}

test('every fetcher is tried in order; failures are logged with their code; nothing found → none', async () => {
  const calls: string[] = [];
  const { d, lines, store } = deps(
    [
      fakeFetcher('USB', calls, 'SZTP_ERR_USB_NOT_FOUND'),
      fakeFetcher('Mgmt4', calls, 'SZTP_ERR_DHCP_TIMEOUT'),
      fakeFetcher('Server', calls, 'plain'),
    ],
    () => assert.fail('nothing to apply'),
  );
  const r = await runPass(d);
  assert.deepEqual(calls, ['USB', 'Mgmt4', 'Server']);
  assert.equal(r.kind, 'none');
  assert.deepEqual(r.kind === 'none' ? r.failures.map((f) => [f.fetcher, f.code]) : [], [
    ['USB', 'SZTP_ERR_USB_NOT_FOUND'],
    ['Mgmt4', 'SZTP_ERR_DHCP_TIMEOUT'],
    ['Server', 'SZTP_ERR_INTERNAL'],
  ]);
  const warns = lines.filter((l) => l.level === 40 && l.fetcher !== undefined);
  assert.deepEqual(
    warns.map((l) => [l.fetcher, l.code]),
    [
      ['USB', 'SZTP_ERR_USB_NOT_FOUND'],
      ['Mgmt4', 'SZTP_ERR_DHCP_TIMEOUT'],
      ['Server', 'SZTP_ERR_INTERNAL'],
    ],
  );
  const s = await store.read();
  assert.equal(s.lastError?.code, 'SZTP_ERR_NO_SOURCE');
  assert.equal(
    s.lastError?.message,
    'USB: SZTP_ERR_USB_NOT_FOUND; Mgmt4: SZTP_ERR_DHCP_TIMEOUT; Server: SZTP_ERR_INTERNAL',
  );
});

test('the first source that fetches is applied and released; later fetchers are not tried', async () => {
  const calls: string[] = [];
  let released = 0;
  const applied: string[] = [];
  const { d, store } = deps(
    [
      fakeFetcher('USB', calls, 'SZTP_ERR_USB_NOT_FOUND'),
      fakeFetcher('Mgmt4', calls, undefined, () => {
        released++;
      }),
      fakeFetcher('Mgmt6', calls),
    ],
    () => {
      applied.push('x');
      return Promise.resolve({ kind: 'complete' });
    },
  );
  const r = await runPass(d);
  assert.deepEqual(r, { kind: 'complete', source: 'fake:Mgmt4' });
  assert.deepEqual(calls, ['USB', 'Mgmt4']);
  assert.equal(applied.length, 1);
  assert.equal(released, 1);
  const s = await store.read();
  assert.equal(s.phase, 'bootstrap-complete');
  assert.equal(s.source, 'fake:Mgmt4');
});

test("RFC 8572 §5.6 (C-114): a failed apply returns to the enclosing loop: the same fetcher's next source before the next fetcher", async () => {
  const calls: string[] = [];
  const applied: string[] = [];
  let released = 0;
  let nexts = 0;
  // USB offers two sources (two sticks, or entries A and B of one redirect list); the first fails to onboard.
  const second = {
    ...fakeSource('USB', () => {
      released++;
    }),
    description: 'fake:USB-second',
  };
  const first = {
    ...fakeSource('USB', () => {
      released++;
    }),
    next: () => {
      nexts++;
      return Promise.resolve(second);
    },
  };
  const usb = {
    name: 'USB' as const,
    fetch: () => {
      calls.push('USB');
      return Promise.resolve(first);
    },
  };
  const { d } = deps([usb, fakeFetcher('Mgmt4', calls)], () => {
    applied.push('x');
    return applied.length === 1
      ? Promise.reject(new SztpError('SZTP_ERR_SCRIPT_FAILED', 'pre-script failed'))
      : Promise.resolve({ kind: 'complete' });
  });
  const r = await runPass(d);
  assert.deepEqual(r, { kind: 'complete', source: 'fake:USB-second' });
  assert.deepEqual(calls, ['USB'], 'the next fetcher is not tried while the same fetcher has sources left');
  assert.equal(nexts, 1);
  assert.equal(released, 1, 'only the source the pass stops at is released; the first handed its hold to the second');
});

test('when the fetcher has no further source after a failed apply, the pass moves to the next fetcher', async () => {
  const calls: string[] = [];
  let released = 0;
  const exhausted = {
    ...fakeSource('USB', () => {
      released++;
    }),
    next: () => Promise.reject(new SztpError('SZTP_ERR_USB_NOT_FOUND', 'no further EN9')),
  };
  const usb = {
    name: 'USB' as const,
    fetch: () => {
      calls.push('USB');
      return Promise.resolve(exhausted);
    },
  };
  const { d } = deps(
    [
      usb,
      fakeFetcher('Mgmt4', calls, undefined, () => {
        released++;
      }),
    ],
    commitRejectedOnce(),
  );
  const r = await runPass(d);
  assert.deepEqual(r, { kind: 'reboot', source: 'fake:Mgmt4' });
  assert.deepEqual(calls, ['USB', 'Mgmt4']);
  assert.equal(released, 1, 'a fetcher whose next() rejects has released what it held itself (contract)');
});

test('a failed apply is logged with its code, the source released, and the next fetcher tried', async () => {
  const calls: string[] = [];
  let released = 0;
  const { d, lines } = deps(
    [
      fakeFetcher('USB', calls, undefined, () => {
        released++;
      }),
      fakeFetcher('Mgmt4', calls, undefined, () => {
        released++;
      }),
    ],
    commitRejectedOnce(),
  );
  const r = await runPass(d);
  assert.deepEqual(r, { kind: 'reboot', source: 'fake:Mgmt4' });
  assert.deepEqual(calls, ['USB', 'Mgmt4']);
  assert.equal(released, 2);
  assert.ok(lines.some((l) => l.code === 'SZTP_ERR_CONFIG_COMMIT' && l.level === 40));
});

test('an abort between fetchers stops the pass', async () => {
  const calls: string[] = [];
  const controller = new AbortController();
  const first = fakeFetcher('USB', calls, 'SZTP_ERR_USB_NOT_FOUND');
  const { d } = deps(
    [
      {
        name: 'USB',
        fetch: (ctx) => {
          controller.abort();
          return first.fetch(ctx);
        },
      },
      fakeFetcher('Mgmt4', calls),
    ],
    () => assert.fail('no apply'),
    controller,
  );
  assert.deepEqual(await runPass(d), { kind: 'aborted' });
  assert.deepEqual(calls, ['USB']);
});

test('no enabled fetcher: none, with SZTP_ERR_NO_SOURCE recorded', async () => {
  const { d, store } = deps([], () => assert.fail('no apply'));
  assert.deepEqual(await runPass(d), { kind: 'none', failures: [] });
  assert.equal((await store.read()).lastError?.message, 'no fetcher is enabled');
});

test('a stop signal waits (bounded) for the aborted fetcher to finish its cleanup before the pass returns', async () => {
  const controller = new AbortController();
  let cleaned = false;
  const fetcher = {
    name: 'Mgmt4' as const,
    fetch: (ctx: { signal: AbortSignal }) =>
      new Promise<never>((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          setTimeout(() => {
            cleaned = true;
            reject(new Error('aborted'));
          }, 150);
        });
      }),
  };
  const { d } = deps([fetcher], () => assert.fail('no apply'), controller);
  setTimeout(() => {
    controller.abort();
  }, 20);
  assert.deepEqual(await runPass(d), { kind: 'aborted' });
  assert.equal(cleaned, true, 'the DHCP address removal (or unmount) finished before the exit');
});

test('a stop signal does not wait for a slow fetcher; a source that arrives late is released', async () => {
  const controller = new AbortController();
  let released = 0;
  let deliver: (() => void) | undefined;
  const slow = {
    name: 'Mgmt4' as const,
    fetch: () =>
      new Promise<ReturnType<typeof fakeSource>>((resolve) => {
        deliver = () => {
          resolve(
            fakeSource('Mgmt4', () => {
              released++;
            }),
          );
        };
      }),
  };
  const { d } = deps([slow], () => assert.fail('no apply'), controller);
  setTimeout(() => {
    controller.abort();
  }, 20);
  const started = Date.now();
  assert.deepEqual(await runPass({ ...d, cleanupWaitMs: 200 }), { kind: 'aborted' });
  assert.ok(Date.now() - started < 1000);
  deliver!();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(released, 1);
});
