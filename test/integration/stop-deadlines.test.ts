/**
 * Every wait has a deadline, and SIGTERM always works (issue 12, items 1-4): the real agent
 * process against a slow-drip HTTPS server with mutual TLS, FIFOs on a stick in place of an
 * artifact and of a `file://` boot image, and scripts whose `setsid` helpers keep the output pipe
 * open, and an https boot image whose server stalls mid-body. Each hang is also stopped with a
 * real SIGTERM: the agent must exit within 5 s, cleanly (not through the stop backstop), with its
 * state saved; a kill -9 in the middle of a download leaves nothing that stops the next run. Measured stop times are printed
 * (`stop-time <case> <ms>`) for the closing note.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { signedReply } from '../support/bootstrap-fixtures.ts';
import { startBootstrapServer, type TestBootstrapServer as BootstrapServer } from '../support/bootstrap-server.ts';
import { makeSignedBundle, onboardingJson, simOsBootImage, writeEn9, type TestPki } from '../support/pki.ts';
import { usePki } from '../support/suite-pki.ts';
import { logScript, makeDevice, runNode, type CliResult, type Device } from '../support/usb-cli.ts';
import type { ChildProcess } from 'node:child_process';

let pki: TestPki;
usePki('stop-pki', (p) => (pki = p));

const STOP_LIMIT_MS = 5000;
const BACKSTOP = /still busy \d+ ms after the stop signal/;

/** Waits until `predicate` holds (polling), or fails after `ms`. */
async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Sends SIGTERM once `ready` holds; returns the run's result and the time from signal to exit. */
async function stopWhen(
  run: { child: ChildProcess; done: Promise<CliResult> },
  ready: () => boolean,
  what: string,
  label: string,
): Promise<{ r: CliResult; ms: number }> {
  let stderr = '';
  run.child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  await until(() => ready() || stderr.includes(what), 60_000, what);
  await sleep(300); // let it settle into the wait
  const t0 = Date.now();
  run.child.kill('SIGTERM');
  const r = await run.done;
  const ms = Date.now() - t0;
  process.stdout.write(`stop-time ${label} ${ms}\n`);
  assert.ok(ms < STOP_LIMIT_MS, `${label}: stopped after ${ms} ms`);
  assert.equal(r.code, 0, `${label}: exit ${String(r.code)} ${r.stderr.slice(-1500)}`);
  assert.doesNotMatch(r.stderr, BACKSTOP, `${label}: needed the stop backstop`);
  assert.match(r.stderr, /stopped by signal; state is saved/);
  return { r, ms };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('1: slow-drip bootstrap server', () => {
  let server: BootstrapServer;
  before(async () => {
    server = await startBootstrapServer({
      cert: readFileSync(pki.server.cert),
      key: readFileSync(pki.server.key),
      clientCa: readFileSync(pki.manufacturer.cert),
    });
  });
  after(async () => {
    await server.close();
  });

  const dripDevice = (extra: Record<string, Record<string, string>> = {}): Device =>
    makeDevice(
      pki,
      {},
      {
        'Fetcher Priority': { Server: '0', USB: '1' },
        Bootstrap: { servers: server.url, nonce: 'False', connect_timeout_seconds: '2', response_timeout_seconds: '2' },
        ...extra,
      },
    );

  test('a reply dripping one byte every 200 ms fails at the exchange deadline and the pass moves on', async () => {
    const reply = signedReply(pki, onboardingJson({ configuration: 'x\n', configurationHandling: 'merge' }));
    const body = 'body' in reply ? String(reply.body) : '';
    server.onGetBootstrappingData = () => ({ fault: 'drip', body, intervalMs: 200 });
    const d = dripDevice();
    try {
      const t0 = Date.now();
      const r = await d.run(['run', '--once']);
      const ms = Date.now() - t0;
      process.stdout.write(`drip-gbd-fails-after ${ms}\n`);
      assert.equal(r.code, 1, r.stderr.slice(-2000));
      assert.ok(ms < 20_000, `took ${ms} ms`);
      assert.match(r.stderr, /SZTP_ERR_SERVER_TIMEOUT/);
      assert.match(r.stderr, /trying fetcher USB/, 'the next fetcher was tried');
    } finally {
      d.dispose();
      server.onGetBootstrappingData = undefined;
    }
  });

  test('fetcher_budget_seconds: a fetcher walking stalled servers is cut off and the next fetcher runs', async () => {
    server.onGetBootstrappingData = () => ({ fault: 'stall' });
    // Three addresses of the same stalled server: 3 x 2 s of response deadline, budget 1 s.
    const d = dripDevice({
      Bootstrap: {
        servers: `${server.url}, https://localhost:${server.port}, ${server.url.replace('127.0.0.1', '127.0.0.1')}`,
        nonce: 'False',
        connect_timeout_seconds: '2',
        response_timeout_seconds: '2',
      },
    });
    try {
      writeFileSync(d.ini, readFileSync(d.ini, 'utf8').replace('[Agent]\n', '[Agent]\nfetcher_budget_seconds: 1\n'));
      const t0 = Date.now();
      const r = await d.run(['run', '--once']);
      const ms = Date.now() - t0;
      process.stdout.write(`budget-cutoff-after ${ms}\n`);
      assert.equal(r.code, 1, r.stderr.slice(-2000));
      assert.match(r.stderr, /SZTP_ERR_FETCHER_TIMEOUT/);
      assert.match(r.stderr, /trying fetcher USB/);
      assert.ok(ms < 5000 + 3000, `took ${ms} ms`);
    } finally {
      d.dispose();
      server.onGetBootstrappingData = undefined;
    }
  });

  test('SIGTERM while get-bootstrapping-data drips: exits within 5 s, state saved', async () => {
    server.onGetBootstrappingData = () => ({ fault: 'drip', body: 'x'.repeat(100_000), intervalMs: 500 });
    const d = dripDevice({ Bootstrap: { servers: server.url, nonce: 'False', response_timeout_seconds: '3600' } });
    const seen = server.bootstrapRequests().length;
    try {
      await stopWhen(
        d.start(),
        () => server.bootstrapRequests().length > seen,
        '\u0000never',
        'drip-get-bootstrapping-data',
      );
      assert.equal((await d.status()).phase, 'factory-default', 'nothing applied, the state readable');
    } finally {
      d.dispose();
      server.onGetBootstrappingData = undefined;
    }
  });

  test('SIGTERM while report-progress drips during onboarding: exits within 5 s, the journal kept', async () => {
    server.onGetBootstrappingData = () =>
      signedReply(pki, onboardingJson({ configuration: 'x\n', configurationHandling: 'merge' }), {}, 'verbose');
    const d = dripDevice({ Bootstrap: { servers: server.url, nonce: 'False', response_timeout_seconds: '3600' } });
    const requests = server.requests.length;
    try {
      server.onProgress = () => ({ fault: 'drip', body: 'x'.repeat(100_000), intervalMs: 500 });
      await stopWhen(
        d.start(),
        () => server.requests.slice(requests).some((q: { path: string }) => q.path.endsWith('report-progress')),
        '\u0000never',
        'drip-report-progress',
      );
      const status = await d.status();
      // Stopped inside the mandatory bootstrap-initiated report: nothing was applied, the attempt is closed.
      assert.ok(
        status.events.some((e) => e.progressType === 'bootstrap-initiated'),
        'the attempt had started',
      );
      assert.equal(d.runningConfig(), undefined, 'nothing applied');
    } finally {
      d.dispose();
      server.onGetBootstrappingData = undefined;
      server.onProgress = undefined;
    }
  });
});

describe('2, 3: FIFOs on a stick', () => {
  test('a FIFO as EN9/conveyed-information.cms is refused at once and the next stick is used', async () => {
    const d = makeDevice(pki);
    try {
      const second = join(d.dir, 'stick2');
      mkdirSync(join(d.stick, 'EN9'), { recursive: true });
      execFileSync('mkfifo', [join(d.stick, 'EN9', 'conveyed-information.cms')]);
      mkdirSync(second);
      writeEn9(
        second,
        makeSignedBundle(pki, onboardingJson({ configuration: 'from stick 2\n', configurationHandling: 'merge' })),
      );
      writeFileSync(
        d.ini,
        readFileSync(d.ini, 'utf8').replace(`mount_points: ${d.stick}`, `mount_points: ${d.stick}, ${second}`),
      );
      const t0 = Date.now();
      const r = await d.run(['run', '--once']);
      process.stdout.write(`fifo-stick-run-ms ${Date.now() - t0}\n`);
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      assert.match(r.stderr, /not a regular file/);
      assert.equal(d.runningConfig(), 'from stick 2\n');
    } finally {
      d.dispose();
    }
  });

  test('SIGTERM with a FIFO artifact on the only stick (retry_forever): exits within 5 s', async () => {
    const d = makeDevice(pki, {}, { Startup: { start: 'True', retry_forever: 'True' } });
    try {
      mkdirSync(join(d.stick, 'EN9'), { recursive: true });
      execFileSync('mkfifo', [join(d.stick, 'EN9', 'conveyed-information.cms')]);
      const run = runNode(['run', '--config', d.ini]);
      await stopWhen(run, () => false, 'EN9 bootstrapping data found', 'fifo-artifact');
      const state = JSON.parse(readFileSync(join(d.dir, 'state', 'state.json'), 'utf8')) as {
        lastError?: { code: string };
      };
      assert.equal(state.lastError?.code, 'SZTP_ERR_NO_SOURCE');
    } finally {
      d.dispose();
    }
  });

  test('a FIFO in place of a file:// boot image fails the boot-image step (boot-image-error), no hang', async () => {
    const d = makeDevice(pki);
    try {
      mkdirSync(join(d.stick, 'images'));
      execFileSync('mkfifo', [join(d.stick, 'images', 'img.bin')]);
      writeEn9(
        d.stick,
        makeSignedBundle(
          pki,
          onboardingJson({
            bootImage: {
              'os-name': 'SimOS',
              'os-version': '2.0',
              'download-uri': ['file:///images/img.bin'],
              'image-verification': [
                { 'hash-algorithm': 'sha-256', 'hash-value': '00'.repeat(32).match(/../g)?.join(':') },
              ],
            },
          }),
        ),
      );
      const t0 = Date.now();
      const r = await d.run(['run', '--once']);
      process.stdout.write(`fifo-image-run-ms ${Date.now() - t0}\n`);
      assert.equal(r.code, 1, r.stderr.slice(-2000));
      assert.match(r.stderr, /not a regular file/);
      const status = await d.status();
      assert.ok(
        status.events.some((e) => e.progressType === 'boot-image-error'),
        'boot-image-error reported',
      );
    } finally {
      d.dispose();
    }
  });
});

describe('4: script helpers that escape the timeout', () => {
  // The helper leaves the script's process group (setsid), keeps its stdout, and outlives it.
  const helper = (pidFile: string): string =>
    `setsid sh -c 'echo $$ > "${pidFile}.tmp"; mv "${pidFile}.tmp" "${pidFile}"; exec sleep 600' &\nwhile [ ! -s "${pidFile}" ]; do sleep 0.05; done`;

  /** A device whose stick carries a script that starts the helper; the helper is killed afterwards whatever happens. */
  async function withHelperScript(
    kind: 'pre' | 'post',
    extra: string,
    body: (d: ReturnType<typeof makeDevice>, pidFile: string) => Promise<void>,
  ): Promise<void> {
    const d = makeDevice(pki);
    const pidFile = join(d.dir, 'helper.pid');
    const script = logScript(d.log, kind, `${helper(pidFile)}${extra}`);
    try {
      writeEn9(
        d.stick,
        makeSignedBundle(
          pki,
          onboardingJson({
            configuration: 'c\n',
            configurationHandling: 'merge',
            ...(kind === 'pre' ? { preScript: script } : { postScript: script }),
          }),
        ),
      );
      await body(d, pidFile);
    } finally {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        /* gone */
      }
      d.dispose();
    }
  }

  test('a post-script that leaves a setsid helper holding stdout: the step ends at once and the helper is killed (cgroup)', async () => {
    await withHelperScript('post', '', async (d, pidFile) => {
      const t0 = Date.now();
      const r = await d.run(['run', '--once']);
      const ms = Date.now() - t0;
      process.stdout.write(`setsid-helper-run-ms ${ms}\n`);
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      assert.ok(ms < 15_000, `run took ${ms} ms (script timeout 20 s, helper 600 s)`);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      await until(() => !pidAlive(pid), 3000, 'the helper to be killed');
    });
  });

  test('without cgroups (SZTP_CGROUP=off) the agent still stops waiting after the pipe grace', async () => {
    await withHelperScript('post', '', async (d) => {
      const t0 = Date.now();
      const r = await d.run(['run', '--once'], { SZTP_CGROUP: 'off' });
      const ms = Date.now() - t0;
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      assert.ok(ms < 15_000, `run took ${ms} ms`);
    });
  });

  test('SIGTERM during a pre-script whose helper escaped with setsid: exits within 5 s, script and helper killed', async () => {
    await withHelperScript('pre', '\nsleep 600', async (d, pidFile) => {
      await stopWhen(
        d.start(),
        () => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '',
        '\u0000never',
        'setsid-script',
      );
      const state = JSON.parse(readFileSync(join(d.dir, 'state', 'state.json'), 'utf8')) as {
        journal?: { currentStep?: string };
      };
      assert.equal(state.journal?.currentStep, 'pre-script', 'the step stays unfinished for the next run');
      const pid = Number(readFileSync(pidFile, 'utf8'));
      await until(() => !pidAlive(pid), 3000, 'the helper to be killed');
    });
  });
});

describe('5: an https boot image whose server stalls mid-body', () => {
  const SIZE = 8 * 1024 * 1024;
  let server: BootstrapServer;
  let imagesDir: string;
  let image: Buffer;
  before(async () => {
    imagesDir = mkdtempSync(join(tmpdir(), 'sztp-stop-img-'));
    image = randomBytes(SIZE);
    writeFileSync(join(imagesDir, 'img.bin'), image);
    server = await startBootstrapServer({
      cert: readFileSync(pki.server.cert),
      key: readFileSync(pki.server.key),
      imagesDir,
    });
  });
  after(async () => {
    await server.close();
    rmSync(imagesDir, { recursive: true, force: true });
  });

  /** A device whose stick names the image by https URL and SHA-256 (the router runs 1.0: it installs 2.0). */
  const imageDevice = (): Device => {
    const d = makeDevice(pki);
    writeEn9(
      d.stick,
      makeSignedBundle(
        pki,
        onboardingJson({
          bootImage: simOsBootImage([`${server.url}/images/img.bin`], image),
        }),
      ),
    );
    return d;
  };
  const parts = (d: Device): string[] => {
    const dir = join(d.dir, 'state', 'images');
    return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('.download-')) : [];
  };
  const imageRequested = (): boolean => server.requests.some((q: { path: string }) => q.path.startsWith('/images/'));

  test('SIGTERM during the stalled download: exits within 5 s, no partial file left, nothing installed', async () => {
    server.imageFaults.set('img.bin', { stallAfterBytes: 1024 * 1024 });
    server.requests.length = 0;
    const d = imageDevice();
    try {
      await stopWhen(d.start(), imageRequested, '\u0000never', 'stalled-image-download');
      assert.deepEqual(parts(d), [], 'the partial image was removed');
      assert.notEqual((await d.status()).phase, 'onboarded');
      assert.ok(!existsSync(join(d.router, 'installed-image.json')), 'no image installed');
    } finally {
      d.dispose();
      server.imageFaults.clear();
    }
  });

  test('kill -9 in the middle of the download, then a run with a working server: installed, the dead partial file gone', async () => {
    server.imageFaults.set('img.bin', { stallAfterBytes: 1024 * 1024 });
    server.requests.length = 0;
    const d = imageDevice();
    try {
      const run = d.start();
      await until(() => imageRequested() && parts(d).length === 1, 30_000, 'a partial download');
      await sleep(300);
      run.child.kill('SIGKILL');
      await run.done;
      assert.equal(parts(d).length, 1, 'the killed run left its partial file');
      server.imageFaults.clear();
      const r = await d.run(['run', '--once']);
      assert.equal(r.code, 10, `installed and rebooting: ${r.stderr.slice(-1500)}`);
      assert.deepEqual(parts(d), [], "the dead run's partial file is gone");
      assert.match(r.stdout + r.stderr, /removed the partial download of an earlier run/);
      assert.ok(existsSync(join(d.router, 'installed-image.json')), 'the image is installed');
    } finally {
      d.dispose();
      server.imageFaults.clear();
    }
  });
});
