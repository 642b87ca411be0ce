/**
 * Crash safety (RFC 8572 §5.6, T-24; issue "crash safety"): the agent is killed with SIGKILL at
 * each step boundary — by a script that kills its parent, or by the simulated adapter's
 * SZTP_SIMULATED_CRASH_AT hook — then `run` again must resume without repeating a completed step
 * (the scripts' side-effect log proves it) and without applying the configuration twice, or roll
 * back when different conveyed information shows up.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeSignedBundle, onboardingJson, simOsBootImage, writeEn9, type TestPki } from '../support/pki.ts';
import { usePki } from '../support/suite-pki.ts';
import { logScript, makeDevice, type Device } from '../support/usb-cli.ts';

let pki: TestPki;
usePki('usbcrash-pki', (p) => (pki = p));

const BASE = 'hostname base\n';
const ADD = 'ntp server 192.0.2.123\n';

/** A device with a base configuration and a stick: pre-script, merge ADD, post-script (optionally killing the agent once). */
function setup(opts: { killIn?: 'pre' | 'post' } = {}): Device {
  const d = makeDevice(pki);
  mkdirSync(d.router, { recursive: true });
  writeFileSync(join(d.router, 'running-config'), BASE);
  const killOnce = (tag: string): string =>
    `[ -f "${d.dir}/killed-${tag}" ] || { touch "${d.dir}/killed-${tag}"; kill -9 $PPID; sleep 5; }`;
  writeEn9(
    d.stick,
    makeSignedBundle(
      pki,
      onboardingJson({
        preScript: logScript(d.log, 'pre', opts.killIn === 'pre' ? killOnce('pre') : ''),
        configuration: ADD,
        configurationHandling: 'merge',
        postScript: logScript(d.log, 'post', opts.killIn === 'post' ? killOnce('post') : ''),
      }),
    ),
  );
  return d;
}

async function killedRun(d: Device, env: Record<string, string> = {}): Promise<void> {
  const r = await d.start(env).done;
  assert.equal(r.signal, 'SIGKILL', `agent was not killed (exit ${String(r.code)}): ${r.stderr.slice(-2000)}`);
}

async function completes(d: Device): Promise<void> {
  const r = await d.run(['run', '--once']);
  assert.equal(r.code, 0, r.stderr.slice(-3000));
  assert.equal((await d.status()).phase, 'bootstrap-complete');
}

const cfgLine = (s: string): string => s.replaceAll('\n', '|');

describe('kill -9 at each step boundary, then run again', () => {
  test('inside the pre-script: the pre-script runs again, the rest once', async () => {
    const d = setup({ killIn: 'pre' });
    try {
      await killedRun(d);
      assert.equal(d.runningConfig(), BASE);
      await completes(d);
      assert.deepEqual(d.scriptLog(), [
        `pre 1 ${cfgLine(BASE)}`,
        `pre 2 ${cfgLine(BASE)}`,
        `post 3 ${cfgLine(BASE + ADD)}`,
      ]);
      assert.equal(d.runningConfig(), BASE + ADD);
    } finally {
      d.dispose();
    }
  });

  test('after the pre-script completed (at the snapshot): the pre-script is not repeated', async () => {
    const d = setup();
    try {
      await killedRun(d, { SZTP_SIMULATED_CRASH_AT: 'snapshot' });
      assert.deepEqual(d.scriptLog(), [`pre 1 ${cfgLine(BASE)}`]);
      await completes(d);
      assert.deepEqual(d.scriptLog(), [`pre 1 ${cfgLine(BASE)}`, `post 2 ${cfgLine(BASE + ADD)}`]);
      assert.equal(d.runningConfig(), BASE + ADD);
    } finally {
      d.dispose();
    }
  });

  test('right after the commit, before it was journalled: restored and merged exactly once', async () => {
    const d = setup();
    try {
      await killedRun(d, { SZTP_SIMULATED_CRASH_AT: 'commit' });
      assert.equal(d.runningConfig(), BASE + ADD, 'the commit happened before the kill');
      await completes(d);
      assert.equal(d.runningConfig(), BASE + ADD, 'not merged twice');
      assert.deepEqual(d.scriptLog(), [`pre 1 ${cfgLine(BASE)}`, `post 2 ${cfgLine(BASE + ADD)}`]);
    } finally {
      d.dispose();
    }
  });

  test('inside the post-script: only the post-script runs again', async () => {
    const d = setup({ killIn: 'post' });
    try {
      await killedRun(d);
      await completes(d);
      assert.deepEqual(d.scriptLog(), [
        `pre 1 ${cfgLine(BASE)}`,
        `post 2 ${cfgLine(BASE + ADD)}`,
        `post 3 ${cfgLine(BASE + ADD)}`,
      ]);
      assert.equal(d.runningConfig(), BASE + ADD);
    } finally {
      d.dispose();
    }
  });

  test('after the post-script, before bootstrap-complete: nothing repeated', async () => {
    const d = setup();
    try {
      await killedRun(d, { SZTP_SIMULATED_CRASH_AT: 'script-post' });
      await completes(d);
      // the post-script had finished but was not journalled: it is the one step that runs again
      assert.deepEqual(
        d.scriptLog().map((l) => l.split(' ')[0]),
        ['pre', 'post', 'post'],
      );
      assert.equal(d.runningConfig(), BASE + ADD);
    } finally {
      d.dispose();
    }
  });

  test('a crash, then different conveyed information: the half-done attempt is rolled back first', async () => {
    const d = setup();
    try {
      await killedRun(d, { SZTP_SIMULATED_CRASH_AT: 'commit' });
      assert.equal(d.runningConfig(), BASE + ADD);
      rmSync(join(d.stick, 'EN9'), { recursive: true });
      writeEn9(
        d.stick,
        makeSignedBundle(pki, onboardingJson({ configuration: 'other\n', configurationHandling: 'merge' })),
      );
      await completes(d);
      assert.equal(d.runningConfig(), `${BASE}other\n`);
    } finally {
      d.dispose();
    }
  });
});

describe('kill -9 around the boot-image install', () => {
  function imageDevice(): Device {
    const d = makeDevice(pki);
    mkdirSync(join(d.stick, 'images'));
    const image = 'simulated image 2.0';
    writeFileSync(join(d.stick, 'images', 'img.bin'), image);
    writeEn9(
      d.stick,
      makeSignedBundle(
        pki,
        onboardingJson({
          bootImage: simOsBootImage(['file:///disk2:/images/img.bin'], image),
          preScript: logScript(d.log, 'pre'),
          configuration: ADD,
          configurationHandling: 'replace',
        }),
      ),
    );
    return d;
  }

  test('after the install: the verified image is reused (the stick copy is gone), no second download', async () => {
    const d = imageDevice();
    try {
      await killedRun(d, { SZTP_SIMULATED_CRASH_AT: 'install' });
      rmSync(join(d.stick, 'images'), { recursive: true });
      const r = await d.run(['run', '--once']);
      assert.equal(r.code, 10, r.stderr.slice(-3000));
      await completes(d);
      assert.deepEqual(d.scriptLog(), ['pre 1 absent']);
      assert.equal(d.runningConfig(), ADD);
    } finally {
      d.dispose();
    }
  });

  test('after the reboot request: the next run finds the new image and continues', async () => {
    const d = imageDevice();
    try {
      await killedRun(d, { SZTP_SIMULATED_CRASH_AT: 'reboot' });
      assert.ok(existsSync(join(d.router, 'pending-reboot')));
      await completes(d);
      const types = (await d.status()).events.map((e) => e.progressType);
      assert.equal(types.filter((t) => t === 'boot-image-installed-rebooting').length, 1);
      assert.ok(types.includes('boot-image-complete'));
      assert.deepEqual(d.scriptLog(), ['pre 1 absent']);
    } finally {
      d.dispose();
    }
  });
});
