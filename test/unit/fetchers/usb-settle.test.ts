/**
 * `[USB] settle_seconds`: the wait for removable storage at first boot (src/fetchers/usb-settle.ts)
 * with a fake clock, and through the USB fetcher with a fake /sys tree in which the stick's block
 * device appears only after the fetcher has started (the enumeration race the emulator image
 * showed): with the wait the first pass finds and mounts it; without it (0) the pass misses it.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FetchContext } from '../../../src/contracts/fetch.ts';
import { createUsbFetcher } from '../../../src/fetchers/usb.ts';
import type { RemovableDevice } from '../../../src/fetchers/usb-mount.ts';
import { POLL_MS, QUIET_MS, procUptime, settleRemovable, type SettleDeps } from '../../../src/fetchers/usb-settle.ts';
import { makeSignedBundle, makeTestPki, onboardingJson, writeEn9 } from '../../support/pki.ts';
import { silentLog, testConfig } from '../../support/onboarding-env.ts';

const dev = (name: string): RemovableDevice => ({ disk: name, partition: name, devPath: `/dev/${name}` });

/** A fake clock: sleep advances it; `appear` says what discover() returns at a given time. */
function fake(
  uptimeAtStart: number | undefined,
  appear: (t: number) => RemovableDevice[],
): SettleDeps & { t: number; polls: number } {
  const state = {
    t: 0,
    polls: 0,
    uptimeSeconds: () => Promise.resolve(uptimeAtStart),
    discover: () => {
      state.polls += 1;
      return Promise.resolve(appear(state.t));
    },
    sleep: (ms: number) => {
      state.t += ms;
      return Promise.resolve();
    },
    now: () => state.t,
  };
  return state;
}

const signal = new AbortController().signal;

describe('settleRemovable', () => {
  test('a stick that appears 5 s after the agent started is waited for, then QUIET_MS more', async () => {
    const f = fake(10, (t) => (t >= 5000 ? [dev('sda')] : []));
    assert.deepEqual(await settleRemovable(30, f, signal, silentLog), [dev('sda')]);
    assert.ok(f.t >= 5000 + QUIET_MS && f.t <= 5000 + QUIET_MS + 2 * POLL_MS, `returned at ${f.t} ms`);
  });

  test('a second stick appearing during the quiet period is included', async () => {
    const f = fake(10, (t) => (t >= 5500 ? [dev('sda'), dev('sdb')] : t >= 5000 ? [dev('sda')] : []));
    assert.deepEqual(await settleRemovable(30, f, signal, silentLog), [dev('sda'), dev('sdb')]);
    assert.ok(f.t >= 5500 + QUIET_MS);
  });

  test('no stick: waits until the uptime reaches settle_seconds, never longer', async () => {
    const f = fake(12.5, () => []);
    assert.deepEqual(await settleRemovable(30, f, signal, silentLog), []);
    assert.equal(f.t, 17_500);
  });

  test('a stick present from the start costs only the quiet period', async () => {
    const f = fake(3, () => [dev('sdb')]);
    assert.deepEqual(await settleRemovable(30, f, signal, silentLog), [dev('sdb')]);
    assert.equal(f.t, QUIET_MS);
  });

  test('no wait once the system has been up long enough, with settle_seconds 0, or an unknown uptime', async () => {
    for (const [settle, uptime] of [
      [30, 30],
      [30, 4000],
      [0, 1],
      [30, undefined],
    ] as const) {
      const f = fake(uptime, () => []);
      assert.deepEqual(await settleRemovable(settle, f, signal, silentLog), []);
      assert.equal(f.t, 0, `settle ${settle}, uptime ${String(uptime)}`);
      assert.equal(f.polls, 1);
    }
  });

  test('stopping the agent ends the wait with SZTP_ERR_ABORTED', async () => {
    const ac = new AbortController();
    const f = fake(1, () => []);
    const deps: SettleDeps = {
      ...f,
      sleep: (ms) => {
        f.t += ms;
        if (f.t >= 2000) ac.abort();
        return Promise.resolve();
      },
    };
    await assert.rejects(settleRemovable(30, deps, ac.signal, silentLog), { code: 'SZTP_ERR_ABORTED' });
    assert.ok(f.t < 3000);
  });

  test('procUptime reads the first field, undefined when unreadable', async () => {
    const d = mkdtempSync(join(tmpdir(), 'sztp-uptime-'));
    try {
      writeFileSync(join(d, 'uptime'), '12.34 45.67\n');
      assert.equal(await procUptime(join(d, 'uptime')), 12.34);
      writeFileSync(join(d, 'uptime'), 'garbage\n');
      assert.equal(await procUptime(join(d, 'uptime')), undefined);
      assert.equal(await procUptime(join(d, 'missing')), undefined);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('USB fetcher: a stick enumerated after the agent started (first boot)', () => {
  let dir: string;
  let stick: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sztp-settle-'));
    const pki = makeTestPki(join(dir, 'pki'), 'p256', 'SN-SETTLE-1');
    stick = join(dir, 'stick');
    writeEn9(stick, makeSignedBundle(pki, onboardingJson({ configuration: 'hostname late\n' })));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the fetcher on an empty fake /sys; the stick's disk appears 400 ms later. */
  async function fetchWithLateStick(
    settleSeconds: number,
  ): Promise<{ error?: string; signed?: boolean; mounts: number }> {
    const sys = mkdtempSync(join(dir, 'sys-'));
    mkdirSync(join(sys, 'block'));
    const timer = setTimeout(() => {
      mkdirSync(join(sys, 'block', 'sda'));
      writeFileSync(join(sys, 'block', 'sda', 'removable'), '1\n');
      writeFileSync(join(sys, 'block', 'sda', 'size'), '32768\n');
    }, 400);
    let mounts = 0;
    const run = (file: string, args: readonly string[]): Promise<void> => {
      if (file === 'mount') {
        mounts += 1;
        cpSync(stick, args[args.length - 1] ?? '', { recursive: true });
      }
      if (file === 'umount') rmSync(join(args[0] ?? '', 'EN9'), { recursive: true, force: true });
      return Promise.resolve();
    };
    const base = testConfig(dir);
    const ctx = {
      config: { ...base, usb: { mountPoints: [], autoMount: true, settleSeconds } },
      log: silentLog,
      signal,
      identity: { serialNumber: 'SN-SETTLE-1' },
      trustContext: () => ({}),
      validate: () => Promise.resolve({ kind: 'onboarding-information', signed: true }),
      bootstrap: { followRedirect: () => Promise.reject(new Error('unexpected')) },
    } as unknown as FetchContext;
    const mountBase = mkdtempSync(join(dir, 'mnt-'));
    try {
      const src = await createUsbFetcher({
        sysRoot: sys,
        devRoot: '/dev',
        run,
        mountBase,
        uptimeSeconds: () => Promise.resolve(5),
      }).fetch(ctx);
      await src.release?.();
      return { signed: src.info.signed, mounts };
    } catch (err) {
      return { error: (err as { code?: string }).code ?? String(err), mounts };
    } finally {
      clearTimeout(timer);
    }
  }

  test('settle_seconds 30 (default) at uptime 5 s: the first pass waits, mounts the stick and reads EN9', async () => {
    assert.deepEqual(await fetchWithLateStick(30), { signed: true, mounts: 1 });
  });

  test('settle_seconds 0: the first pass misses the stick (SZTP_ERR_USB_NOT_FOUND)', async () => {
    assert.deepEqual(await fetchWithLateStick(0), { error: 'SZTP_ERR_USB_NOT_FOUND', mounts: 0 });
  });
});
