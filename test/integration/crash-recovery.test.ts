/**
 * A crash never leaves the router half-applied (issue 12): the real agent process, killed with
 * SIGKILL (by the test, by a script killing its parent, or at a hook point of the simulated
 * router), then started again. One describe per item of the issue.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { makeSignedBundle, onboardingJson, simOsBootImage, writeEn9, type TestPki } from '../support/pki.ts';
import { usePki } from '../support/suite-pki.ts';
import { logScript, makeDevice, runNode, type Device } from '../support/usb-cli.ts';

let pki: TestPki;
usePki('crashrec-pki', (p) => (pki = p));

const BASE = 'hostname base\n';
const ADD = 'ntp server 192.0.2.123\n';

function device(pre: string, post: string): Device {
  const d = makeDevice(pki);
  mkdirSync(d.router, { recursive: true });
  writeFileSync(join(d.router, 'running-config'), BASE);
  writeEn9(
    d.stick,
    makeSignedBundle(
      pki,
      onboardingJson({
        preScript: logScript(d.log, 'pre', pre),
        configuration: ADD,
        configurationHandling: 'merge',
        postScript: logScript(d.log, 'post', post),
      }),
    ),
  );
  return d;
}

const retryForever = (d: Device): void => {
  writeFileSync(d.ini, readFileSync(d.ini, 'utf8').replace('retry_forever: False', 'retry_forever: True'));
};

async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const tags = (d: Device): string[] => d.scriptLog().map((l) => l.split(' ')[0] ?? '');

describe('5: interrupted onboarding, then the source is gone (retry_forever)', () => {
  test('the committed configuration is rolled back within one pass, and status says so', async () => {
    const killOnce = (dir: string): string =>
      `[ -f "${dir}/killed" ] || { touch "${dir}/killed"; kill -9 $PPID; sleep 5; }`;
    const d = makeDevice(pki);
    let run: ReturnType<typeof runNode> | undefined;
    try {
      mkdirSync(d.router, { recursive: true });
      writeFileSync(join(d.router, 'running-config'), BASE);
      writeEn9(
        d.stick,
        makeSignedBundle(
          pki,
          onboardingJson({
            configuration: ADD,
            configurationHandling: 'merge',
            postScript: logScript(d.log, 'post', killOnce(d.dir)),
          }),
        ),
      );
      const first = await d.start().done;
      assert.equal(first.signal, 'SIGKILL', first.stderr.slice(-1500));
      assert.equal(d.runningConfig(), BASE + ADD, 'committed before the kill');
      rmSync(join(d.stick, 'EN9'), { recursive: true });
      retryForever(d);
      run = runNode(['run', '--config', d.ini]);
      const t0 = Date.now();
      await until(() => d.runningConfig() === BASE, 20_000, 'the rollback');
      process.stdout.write(`interrupted-rollback-after-ms ${Date.now() - t0}\n`);
      run.child.kill('SIGTERM');
      const r = await run.done;
      assert.equal(r.code, 0, r.stderr.slice(-1500));
      assert.equal((r.stderr.match(/pass \d+: trying/g) ?? []).length >= 1, true);
      const status = await d.status();
      assert.equal(status.phase, 'factory-default');
      assert.match(status.lastError?.message ?? '', /rolled back/);
    } finally {
      run?.child.kill('SIGKILL'); // a daemon left running by a failed assertion
      d.dispose();
    }
  });
});

describe('6: killed right after a rollback restored the configuration', () => {
  test('the next start finishes the rollback before anything else: every step runs again, nothing half-applied', async () => {
    // The post-script fails on its first run (the attempt is rolled back); the kill comes right after the restore.
    const d = device(
      '',
      `[ -f "${'$SZTP_ROUTER_ROOT'}/../failed-once" ] || { touch "${'$SZTP_ROUTER_ROOT'}/../failed-once"; exit 1; }`,
    );
    try {
      const first = await d.start({ SZTP_SIMULATED_CRASH_AT: 'restore' }).done;
      assert.equal(first.signal, 'SIGKILL', first.stderr.slice(-1500));
      assert.equal(d.runningConfig(), BASE, 'the restore happened before the kill');
      const second = await d.run(['run', '--once']);
      assert.equal(second.code, 0, second.stderr.slice(-2000));
      assert.deepEqual(
        tags(d),
        ['pre', 'post', 'pre', 'post'],
        'the attempt starts over; the post-script never runs on the restored configuration',
      );
      assert.equal(d.runningConfig(), BASE + ADD);
      assert.equal((await d.status()).phase, 'bootstrap-complete');
      assert.match(second.stderr, /finishing a rollback that a crash interrupted/);
    } finally {
      d.dispose();
    }
  });
});

describe('7: the scripts of a dead agent', () => {
  test('a post-script that survived the SIGKILL of its agent is ended before the resumed attempt runs it again', async () => {
    const d = device('', '');
    const pidFile = join(d.dir, 'slow.pid');
    try {
      writeEn9(
        d.stick,
        makeSignedBundle(
          pki,
          onboardingJson({
            configuration: ADD,
            configurationHandling: 'merge',
            postScript: logScript(
              d.log,
              'post',
              `if [ ! -f "${d.dir}/slow-started" ]; then touch "${d.dir}/slow-started"; echo $$ > "${pidFile}"; sleep 30; echo late >> "${d.log}"; fi`,
            ),
          }),
        ),
      );
      const first = d.start();
      await until(
        () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '',
        30_000,
        'the slow post-script',
      );
      const pid = Number(readFileSync(pidFile, 'utf8'));
      first.child.kill('SIGKILL'); // the whole agent process, as a crash would
      assert.equal((await first.done).signal, 'SIGKILL');
      assert.ok(alive(pid), 'the script outlived its agent (its own process group)');
      const second = await d.run(['run', '--once']);
      assert.equal(second.code, 0, second.stderr.slice(-2000));
      assert.equal(alive(pid), false, 'the old copy was ended before the new one ran');
      assert.deepEqual(tags(d), ['post', 'post']);
      await sleep(300);
      assert.ok(!d.scriptLog().includes('late'), 'the old copy never finished');
      assert.match(second.stderr, /ended a child process a previous agent left running/);
    } finally {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        /* gone */
      }
      d.dispose();
    }
  });
});

describe('8: the reboot after an image install fails', () => {
  test('boot-image-error with SZTP_ERR_BOOT_IMAGE_REBOOT, then the next run installs and reboots again (no reboot loop)', async () => {
    const d = makeDevice(pki);
    try {
      mkdirSync(join(d.stick, 'images'));
      const image = 'simulated image 2.0';
      writeFileSync(join(d.stick, 'images', 'img.bin'), image);
      writeEn9(
        d.stick,
        makeSignedBundle(
          pki,
          onboardingJson({
            bootImage: simOsBootImage(['file:///images/img.bin'], image),
            configuration: ADD,
            configurationHandling: 'merge',
          }),
        ),
      );
      const failed = await d.run(['run', '--once'], { SZTP_SIMULATED_FAIL_AT: 'reboot' });
      assert.equal(failed.code, 1, failed.stderr.slice(-2000));
      const status = await d.status();
      assert.match(status.lastError?.message ?? '', /SZTP_ERR_BOOT_IMAGE_REBOOT(?!_LOOP)/);
      assert.ok(
        status.events.some((e) => e.progressType === 'boot-image-error'),
        'boot-image-error reported',
      );
      const retried = await d.run(['run', '--once']);
      assert.equal(retried.code, 10, retried.stderr.slice(-2000));
      assert.doesNotMatch(retried.stderr, /SZTP_ERR_BOOT_IMAGE_REBOOT_LOOP/);
      const done = await d.run(['run', '--once']);
      assert.equal(done.code, 0, done.stderr.slice(-2000));
      assert.equal((await d.status()).phase, 'bootstrap-complete');
    } finally {
      d.dispose();
    }
  });
});

describe('9: a corrupt state file', () => {
  test('truncated on a provisioned device with secure ZTP disabled: the backup is used, ZTP does not run again', async () => {
    const d = device('', '');
    try {
      assert.equal((await d.run(['run', '--once'])).code, 0);
      assert.equal((await d.run(['secure-mode', 'disable'])).code, 0);
      const state = join(d.dir, 'state', 'state.json');
      writeFileSync(state, readFileSync(state, 'utf8').slice(0, 40));
      const r = await d.run(['run', '--once']);
      assert.equal(r.code, 0, r.stderr.slice(-1500));
      assert.match(r.stderr, /secure ZTP disabled/);
      assert.match(r.stderr, /SZTP_ERR_STATE_CORRUPT/);
      assert.deepEqual(tags(d), ['pre', 'post'], 'no second onboarding');
      assert.equal(d.runningConfig(), BASE + ADD);
      assert.equal((await d.status()).phase, 'disabled');
    } finally {
      d.dispose();
    }
  });

  test('both files unreadable: refused with SZTP_ERR_STATE_CORRUPT naming `sztp-agent reset`; reset recovers', async () => {
    const d = device('', '');
    try {
      assert.equal((await d.run(['run', '--once'])).code, 0);
      writeFileSync(join(d.dir, 'state', 'state.json'), '{"schemaVersion":1,"secu');
      writeFileSync(join(d.dir, 'state', 'state.json.bak'), '');
      const r = await d.run(['run', '--once']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /SZTP_ERR_STATE_CORRUPT/);
      assert.match(r.stderr, /sztp-agent reset/);
      assert.deepEqual(tags(d), ['pre', 'post'], 'nothing ran');
      assert.equal(d.runningConfig(), BASE + ADD, 'the router untouched');
      assert.equal((await d.run(['reset'])).code, 0);
      assert.equal((await d.status()).phase, 'factory-default');
    } finally {
      d.dispose();
    }
  });
});

describe('11: secure-mode disable while the daemon runs', () => {
  test('never lost: the daemon stops (disabled) and the flag stays off (5 trials)', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const d = makeDevice(
        pki,
        {},
        {
          Agent: {
            state_dir: 'PLACEHOLDER',
            backoff_initial_seconds: '0',
            backoff_max_seconds: '0',
            log_level: 'info',
          },
        },
      );
      let run: ReturnType<typeof runNode> | undefined;
      try {
        writeFileSync(
          d.ini,
          readFileSync(d.ini, 'utf8').replace('state_dir: PLACEHOLDER', `state_dir: ${join(d.dir, 'state')}`),
        );
        retryForever(d);
        // No stick: every pass fails fast and writes the state (lastError), as often as it can.
        rmSync(d.stick, { recursive: true });
        run = runNode(['run', '--config', d.ini]);
        let stderr = '';
        run.child.stderr?.on('data', (c: Buffer) => {
          stderr += c.toString();
        });
        await until(() => (stderr.match(/pass \d+: trying/g) ?? []).length >= 3, 30_000, 'a busy daemon');
        const cli = await d.run(['secure-mode', 'disable']);
        assert.equal(cli.code, 0, cli.stderr);
        const stopped = await Promise.race([run.done, sleep(15_000).then(() => undefined)]);
        assert.ok(stopped !== undefined, `trial ${trial}: the daemon kept running: the disable was lost`);
        assert.equal(stopped.code, 0);
        assert.match(stopped.stderr, /secure ZTP disabled/);
        const state = JSON.parse(readFileSync(join(d.dir, 'state', 'state.json'), 'utf8')) as { secureMode: boolean };
        assert.equal(state.secureMode, false, `trial ${trial}: the flag was overwritten`);
      } finally {
        run?.child.kill('SIGKILL'); // a daemon left running by a failed assertion
        d.dispose();
      }
    }
  });
});
