import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { SztpError, isSztpError } from '../../../src/errors.ts';
import { applyOnboarding } from '../../../src/onboarding/apply.ts';
import { withSecureMode } from '../../../src/state/machine.ts';
import type { ProgressEvent } from '../../../src/progress/reporter.ts';
import type { BootImage, OnboardingInformation } from '../../../src/types.ts';
import { bytes, loggingScript, makeEnv, type Env } from '../../support/onboarding-env.ts';

let env: Env | undefined;
afterEach(() => {
  env?.dispose();
  env = undefined;
});
function setup(...args: Parameters<typeof makeEnv>): Env {
  env = makeEnv(...args);
  return env;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<SztpError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isSztpError(err), `not an SztpError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

async function events(e: Env): Promise<string[]> {
  return (await e.store.read()).events.map((x) => x.progressType);
}

const lines = (p: string): string[] => (existsSync(p) ? readFileSync(p, 'utf8').trim().split('\n') : []);

function imageFile(e: Env, name: string, content: string): { path: string; sha: Uint8Array } {
  const path = join(e.dir, 'usb', 'images', name);
  mkdirSync(join(e.dir, 'usb', 'images'), { recursive: true });
  writeFileSync(path, content);
  return { path, sha: createHash('sha256').update(content).digest() };
}

const stickResolver =
  (e: Env) =>
  (uri: string): string | undefined => {
    const m = /^file:\/\/\/(?:disk\d+:)?\/(.*)$/.exec(uri);
    return m?.[1] === undefined ? undefined : join(e.dir, 'usb', m[1]);
  };

describe('applyOnboarding: scripts and configuration', () => {
  test('runs pre-script, commit, post-script in RFC order and completes', async () => {
    const e = setup();
    const log = join(e.dir, 'scripts.log');
    const info: OnboardingInformation = {
      preConfigurationScript: loggingScript(log, 'pre'),
      configurationHandling: 'replace',
      configuration: bytes('hostname r1\n'),
      postConfigurationScript: loggingScript(log, 'post'),
    };
    const seen: ProgressEvent[] = [];
    const outcome = await applyOnboarding(
      e.source(info, {
        reporter: {
          report: (ev) => {
            seen.push(ev);
            return Promise.resolve();
          },
        },
      }),
      e.deps(),
    );
    assert.deepEqual(outcome, { kind: 'complete' });
    assert.equal(e.runningConfig(), 'hostname r1\n');
    assert.deepEqual(lines(log), ['pre 1 absent', 'post 2 hostname r1|']);
    const expected = [
      'bootstrap-initiated',
      'pre-script-initiated',
      'pre-script-complete',
      'config-initiated',
      'config-complete',
      'post-script-initiated',
      'post-script-complete',
      'bootstrap-complete',
    ];
    assert.deepEqual(await events(e), expected);
    assert.deepEqual(
      seen.map((s) => s.progressType),
      expected,
    );
    assert.match(seen[2]?.message ?? '', /pre output/);
    const state = await e.store.read();
    assert.equal(state.phase, 'bootstrap-complete');
    assert.deepEqual(state.journal?.completedSteps, ['pre-script', 'config', 'post-script']);
    assert.equal(state.journal?.snapshot, undefined);
    assert.deepEqual(readdirSafe(join(e.dir, 'state', 'adapter', 'snapshots')), [], 'snapshot discarded');
    assert.deepEqual(
      readdirSafe(join(e.dir, 'state')).filter((n) => n.includes('script')),
      [],
      'temp scripts removed',
    );
  });

  test('merge appends to the existing configuration', async () => {
    const e = setup();
    mkdirSync(e.routerRoot, { recursive: true });
    writeFileSync(join(e.routerRoot, 'running-config'), 'a\n');
    await applyOnboarding(e.source({ configurationHandling: 'merge', configuration: bytes('b\n') }), e.deps());
    assert.equal(e.runningConfig(), 'a\nb\n');
  });

  test('pre-script error: pre-script-error, nothing committed, nothing in progress', async () => {
    const e = setup();
    const log = join(e.dir, 'scripts.log');
    const info: OnboardingInformation = {
      preConfigurationScript: loggingScript(log, 'pre', 1),
      configurationHandling: 'replace',
      configuration: bytes('x\n'),
    };
    const err = await rejectsWith(applyOnboarding(e.source(info), e.deps()), 'SZTP_ERR_SCRIPT_FAILED');
    assert.match(err.message, /exit status 1/);
    assert.equal(e.runningConfig(), undefined);
    assert.deepEqual(await events(e), ['bootstrap-initiated', 'pre-script-initiated', 'pre-script-error']);
    const state = await e.store.read();
    assert.equal(state.lastError?.code, 'SZTP_ERR_SCRIPT_FAILED');
    assert.equal(state.journal?.currentStep, undefined);
    assert.deepEqual(state.journal?.completedSteps, []);
    assert.match(state.events[2]?.message ?? '', /SZTP_ERR_SCRIPT_FAILED.*pre output/s);
  });

  test('post-script error restores the configuration as it was before the attempt', async () => {
    const e = setup();
    mkdirSync(e.routerRoot, { recursive: true });
    writeFileSync(join(e.routerRoot, 'running-config'), 'old\n');
    const log = join(e.dir, 'scripts.log');
    const info: OnboardingInformation = {
      configurationHandling: 'replace',
      configuration: bytes('new\n'),
      postConfigurationScript: loggingScript(log, 'post', 3),
    };
    await rejectsWith(applyOnboarding(e.source(info), e.deps()), 'SZTP_ERR_SCRIPT_FAILED');
    assert.deepEqual(lines(log), ['post 1 new|'], 'the post-script saw the new configuration');
    assert.equal(e.runningConfig(), 'old\n');
    assert.deepEqual((await events(e)).slice(-1), ['post-script-error']);
    assert.equal((await e.store.read()).journal?.snapshot, undefined);
  });

  test('a failed rollback keeps the snapshot: the next run restores the original configuration, not the half-applied one', async () => {
    const e = setup();
    mkdirSync(e.routerRoot, { recursive: true });
    writeFileSync(join(e.routerRoot, 'running-config'), 'old\n');
    const info: OnboardingInformation = {
      configurationHandling: 'replace',
      configuration: bytes('new\n'),
      postConfigurationScript: bytes('#!/bin/sh\nexit 3\n'),
    };
    let failRestore = true;
    const flaky = {
      ...e.adapter,
      restoreConfiguration: (snap: Parameters<typeof e.adapter.restoreConfiguration>[0]): Promise<void> =>
        failRestore
          ? Promise.reject(new SztpError('SZTP_ERR_ROLLBACK', 'transient restore failure'))
          : e.adapter.restoreConfiguration(snap),
    };
    await rejectsWith(applyOnboarding(e.source(info), e.deps({ adapter: flaky })), 'SZTP_ERR_ROLLBACK');
    assert.equal(e.runningConfig(), 'new\n', 'the restore failed: the new configuration is still active');
    assert.notEqual(
      (await e.store.read()).journal?.snapshot,
      undefined,
      'the unrestored snapshot stays in the journal',
    );
    failRestore = false;
    await rejectsWith(applyOnboarding(e.source(info), e.deps({ adapter: flaky })), 'SZTP_ERR_SCRIPT_FAILED');
    assert.equal(
      e.runningConfig(),
      'old\n',
      'the second attempt rolled back to the configuration from before the first attempt',
    );
    assert.equal((await e.store.read()).journal?.snapshot, undefined);
  });

  test('post-script error on a factory-default device removes the running-config', async () => {
    const e = setup();
    const info: OnboardingInformation = {
      configurationHandling: 'merge',
      configuration: bytes('new\n'),
      postConfigurationScript: bytes('#!/bin/sh\nexit 255\n'),
    };
    await rejectsWith(applyOnboarding(e.source(info), e.deps()), 'SZTP_ERR_SCRIPT_FAILED');
    assert.equal(e.runningConfig(), undefined);
  });

  test('a warning exit status continues with *-warning carrying the output', async () => {
    const e = setup();
    const info: OnboardingInformation = {
      preConfigurationScript: bytes('#!/bin/sh\necho careful\nexit 85\n'),
      configurationHandling: 'replace',
      configuration: bytes('c\n'),
    };
    assert.deepEqual(await applyOnboarding(e.source(info), e.deps()), { kind: 'complete' });
    const state = await e.store.read();
    const warning = state.events.find((x) => x.progressType === 'pre-script-warning');
    assert.match(warning?.message ?? '', /exit status 85.*careful/s);
    assert.equal(e.runningConfig(), 'c\n');
  });

  test('a script over the timeout is killed: SZTP_ERR_SCRIPT_TIMEOUT', async () => {
    const e = setup({ scriptTimeoutSeconds: 1 });
    const started = Date.now();
    await rejectsWith(
      applyOnboarding(e.source({ preConfigurationScript: bytes('#!/bin/sh\nsleep 30\n') }), e.deps()),
      'SZTP_ERR_SCRIPT_TIMEOUT',
    );
    assert.ok(Date.now() - started < 10_000);
  });

  test('a configuration the router rejects: config-error, nothing applied', async () => {
    const e = setup();
    mkdirSync(e.routerRoot, { recursive: true });
    writeFileSync(join(e.routerRoot, 'running-config'), 'keep\n');
    const info: OnboardingInformation = {
      configurationHandling: 'replace',
      configuration: bytes('a\n!fail-commit\nb\n'),
    };
    await rejectsWith(applyOnboarding(e.source(info), e.deps()), 'SZTP_ERR_CONFIG_COMMIT');
    assert.equal(e.runningConfig(), 'keep\n');
    assert.deepEqual((await events(e)).slice(-1), ['config-error']);
  });

  test('configuration without configuration-handling is a parsing-error', async () => {
    const e = setup();
    await rejectsWith(applyOnboarding(e.source({ configuration: bytes('a\n') }), e.deps()), 'SZTP_ERR_CONVEYED_SCHEMA');
    assert.deepEqual(await events(e), ['bootstrap-initiated', 'parsing-error']);
    assert.equal(e.runningConfig(), undefined);
  });
});

describe('applyOnboarding: progress reports', () => {
  /** A reporter whose report of `type` fails with `err`; every other report succeeds. */
  const failingAt = (type: string, err: Error) => ({
    report: (ev: ProgressEvent) => (ev.progressType === type ? Promise.reject(err) : Promise.resolve()),
  });
  /** Onboarding that replaces the configuration with `a`, reporting to `reporter`. */
  const replaceWithA = (e: Env, reporter: { report: (ev: ProgressEvent) => Promise<void> }) =>
    applyOnboarding(
      e.source({ configurationHandling: 'replace', configuration: bytes('a\n') }, { reporter }),
      e.deps(),
    );

  test('a rejected bootstrap-initiated aborts with bootstrap-error before any step', async () => {
    const e = setup();
    const reporter = failingAt('bootstrap-initiated', new SztpError('SZTP_ERR_PROGRESS_REPORT', '500'));
    await rejectsWith(replaceWithA(e, reporter), 'SZTP_ERR_PROGRESS_REPORT');
    assert.equal(e.runningConfig(), undefined);
    assert.deepEqual(await events(e), ['bootstrap-initiated', 'bootstrap-error']);
  });

  test('a rejected bootstrap-complete rolls the configuration back', async () => {
    const e = setup();
    const reporter = failingAt('bootstrap-complete', new SztpError('SZTP_ERR_PROGRESS_REPORT', '400'));
    await rejectsWith(replaceWithA(e, reporter), 'SZTP_ERR_PROGRESS_REPORT');
    assert.equal(e.runningConfig(), undefined);
    assert.deepEqual((await events(e)).slice(-2), ['bootstrap-complete', 'bootstrap-error']);
    assert.notEqual((await e.store.read()).phase, 'bootstrap-complete');
  });

  test('best-effort reports that fail do not stop onboarding', async () => {
    const e = setup();
    assert.deepEqual(await replaceWithA(e, failingAt('config-initiated', new Error('network'))), { kind: 'complete' });
  });

  test('bootstrap-complete carries the router SSH host keys and trust anchors', async () => {
    const e = setup();
    mkdirSync(join(e.routerRoot, 'ssh'), { recursive: true });
    writeFileSync(
      join(e.routerRoot, 'ssh', 'ssh_host_ed25519_key.pub'),
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== root@r1\n',
    );
    let complete: ProgressEvent | undefined;
    await replaceWithA(e, {
      report: (ev: ProgressEvent) => {
        if (ev.progressType === 'bootstrap-complete') complete = ev;
        return Promise.resolve();
      },
    });
    assert.equal(complete?.sshHostKeys?.[0]?.algorithm, 'ssh-ed25519');
    assert.deepEqual(complete?.trustAnchorCerts, []);
  });
});

describe('applyOnboarding: boot image', () => {
  const image = (e: Env, name: string, content: string, version = '2.0', extra: Partial<BootImage> = {}): BootImage => {
    const f = imageFile(e, name, content);
    return {
      osName: 'SimOS',
      osVersion: version,
      downloadUris: [`file:///disk2:/images/${name}`],
      imageVerification: [{ hashAlgorithm: 'ietf-sztp-conveyed-info:sha-256', hashValue: f.sha }],
      ...extra,
    };
  };

  test('matching os-name/os-version: skipped without download', async () => {
    const e = setup();
    const info: OnboardingInformation = {
      bootImage: { osName: 'SimOS', osVersion: '1.0', downloadUris: ['https://192.0.2.1/x'], imageVerification: [] },
    };
    assert.deepEqual(await applyOnboarding(e.source(info), e.deps()), { kind: 'complete' });
    assert.equal(e.downloads.length, 0);
    assert.deepEqual(await events(e), [
      'bootstrap-initiated',
      'boot-image-initiated',
      'boot-image-complete',
      'bootstrap-complete',
    ]);
  });

  test('mismatch with a good hash: install, reboot, resume after the reboot, complete', async () => {
    const e = setup();
    const log = join(e.dir, 'scripts.log');
    const info: OnboardingInformation = {
      bootImage: image(e, 'sim-2.0.bin', 'image 2.0'),
      preConfigurationScript: loggingScript(log, 'pre'),
      configurationHandling: 'replace',
      configuration: bytes('c\n'),
    };
    const source = e.source(info, { resolveLocalUri: stickResolver(e) });
    assert.deepEqual(await applyOnboarding(source, e.deps()), { kind: 'reboot' });
    assert.deepEqual(await events(e), [
      'bootstrap-initiated',
      'boot-image-initiated',
      'boot-image-mismatch',
      'boot-image-installed-rebooting',
    ]);
    let state = await e.store.read();
    assert.equal(state.phase, 'rebooting');
    assert.equal(state.journal?.bootImage?.installAttempts, 1);
    assert.ok(existsSync(join(e.routerRoot, 'pending-reboot')));
    assert.equal(e.runningConfig(), undefined);
    assert.deepEqual(lines(log), [], 'nothing after the image step before the reboot');
    // the agent starts over with the same conveyed information
    assert.deepEqual(await applyOnboarding(source, e.deps()), { kind: 'complete' });
    assert.equal(e.downloads.length, 1, 'no second download');
    assert.equal((await e.adapter.identity()).osVersion, '2.0');
    assert.deepEqual((await events(e)).slice(4), [
      'bootstrap-initiated',
      'boot-image-initiated',
      'boot-image-complete',
      'pre-script-initiated',
      'pre-script-complete',
      'config-initiated',
      'config-complete',
      'bootstrap-complete',
    ]);
    state = await e.store.read();
    assert.equal(state.phase, 'bootstrap-complete');
    assert.equal(
      existsSync(state.journal?.bootImage?.path ?? '/nonexistent'),
      false,
      'kept image removed after completion',
    );
  });

  test('bad hash: boot-image-error, nothing installed', async () => {
    const e = setup();
    const img = image(e, 'bad.bin', 'image');
    const info: OnboardingInformation = {
      bootImage: { ...img, imageVerification: [{ hashAlgorithm: 'sha-256', hashValue: new Uint8Array(32) }] },
      configurationHandling: 'replace',
      configuration: bytes('c\n'),
    };
    await rejectsWith(
      applyOnboarding(e.source(info, { resolveLocalUri: stickResolver(e) }), e.deps()),
      'SZTP_ERR_BOOT_IMAGE_HASH',
    );
    assert.equal(existsSync(join(e.routerRoot, 'installed-image.json')), false);
    assert.equal(e.runningConfig(), undefined);
    assert.deepEqual((await events(e)).slice(-1), ['boot-image-error']);
  });

  test('no supported image-verification: SZTP_ERR_BOOT_IMAGE_NO_VERIFIER, no download', async () => {
    const e = setup();
    const img = image(e, 'x.bin', 'image');
    const info: OnboardingInformation = {
      bootImage: { ...img, imageVerification: [{ hashAlgorithm: 'md5', hashValue: new Uint8Array(16) }] },
    };
    await rejectsWith(applyOnboarding(e.source(info), e.deps()), 'SZTP_ERR_BOOT_IMAGE_NO_VERIFIER');
    assert.equal(e.downloads.length, 0);
  });

  test('mirror fallback: a missing first file:// mirror, the second serves the image', async () => {
    const e = setup();
    const img = image(e, 'two.bin', 'image two');
    const info: OnboardingInformation = {
      bootImage: { ...img, downloadUris: ['file:///disk2:/images/missing.bin', 'file:///disk3:/images/two.bin'] },
    };
    assert.deepEqual(await applyOnboarding(e.source(info, { resolveLocalUri: stickResolver(e) }), e.deps()), {
      kind: 'reboot',
    });
    assert.deepEqual(e.downloads[0]?.uris, info.bootImage?.downloadUris);
    assert.ok(existsSync(join(e.routerRoot, 'installed-image.json')));
  });

  test('reboot-loop guard: still mismatched after the reboot → boot-image-error, no reinstall', async () => {
    const e = setup();
    // The image boots as 1.5 whatever the onboarding information says (simulated vendor mismatch).
    const info: OnboardingInformation = {
      bootImage: image(e, 'liar.bin', 'SIMULATED-IMAGE os-name=SimOS os-version=1.5\n'),
    };
    const source = e.source(info, { resolveLocalUri: stickResolver(e) });
    assert.deepEqual(await applyOnboarding(source, e.deps()), { kind: 'reboot' });
    await rejectsWith(applyOnboarding(source, e.deps()), 'SZTP_ERR_BOOT_IMAGE_REBOOT_LOOP');
    assert.equal((await e.adapter.identity()).osVersion, '1.5');
    await rejectsWith(applyOnboarding(source, e.deps()), 'SZTP_ERR_BOOT_IMAGE_REBOOT_LOOP');
    assert.equal(e.downloads.length, 1);
    assert.equal(existsSync(join(e.routerRoot, 'installed-image.json')), false, 'not installed again');
    assert.deepEqual((await events(e)).slice(-1), ['boot-image-error']);
  });

  test('reboot-loop guard holds when the same image comes back in different conveyed-information bytes (re-signed or re-encrypted)', async () => {
    const e = setup();
    const info: OnboardingInformation = {
      bootImage: image(e, 'liar.bin', 'SIMULATED-IMAGE os-name=SimOS os-version=1.5\n'),
    };
    assert.deepEqual(
      await applyOnboarding(e.source(info, { resolveLocalUri: stickResolver(e), digest: '1'.repeat(64) }), e.deps()),
      { kind: 'reboot' },
    );
    await rejectsWith(
      applyOnboarding(e.source(info, { resolveLocalUri: stickResolver(e), digest: '2'.repeat(64) }), e.deps()),
      'SZTP_ERR_BOOT_IMAGE_REBOOT_LOOP',
    );
    assert.equal(e.downloads.length, 1, 'not downloaded again');
    assert.equal(existsSync(join(e.routerRoot, 'installed-image.json')), false, 'not installed again');
    // a different image for the same criteria is a new attempt, not a loop
    const other: OnboardingInformation = { bootImage: image(e, 'fixed.bin', 'image 2.0') };
    assert.deepEqual(
      await applyOnboarding(e.source(other, { resolveLocalUri: stickResolver(e), digest: '3'.repeat(64) }), e.deps()),
      { kind: 'reboot' },
    );
    assert.deepEqual(
      await applyOnboarding(e.source(other, { resolveLocalUri: stickResolver(e), digest: '4'.repeat(64) }), e.deps()),
      { kind: 'complete' },
    );
    assert.equal((await e.adapter.identity()).osVersion, '2.0');
  });

  test('a verified image kept in the journal is not downloaded again after a crash before install', async () => {
    const e = setup();
    const info: OnboardingInformation = { bootImage: image(e, 'k.bin', 'kept image') };
    const source = e.source(info, { resolveLocalUri: stickResolver(e) });
    // the first run fails at install (images/ is a file), after the download was journalled
    mkdirSync(e.routerRoot, { recursive: true });
    writeFileSync(join(e.routerRoot, 'images'), 'not a directory');
    await rejectsWith(applyOnboarding(source, e.deps()), 'SZTP_ERR_BOOT_IMAGE_INSTALL');
    const kept = (await e.store.read()).journal?.bootImage;
    assert.ok(kept?.path !== undefined && existsSync(kept.path));
    // fixed: the next attempt installs the kept image without downloading
    rmSync(join(e.routerRoot, 'images'));
    assert.deepEqual(await applyOnboarding(source, e.deps()), { kind: 'reboot' });
    assert.equal(e.downloads.length, 1);
  });
});

describe('applyOnboarding: journal, crash resume, abort', () => {
  test('completed steps are not repeated; an interrupted config step is restored then committed once', async () => {
    const e = setup();
    const log = join(e.dir, 'scripts.log');
    mkdirSync(e.routerRoot, { recursive: true });
    writeFileSync(join(e.routerRoot, 'running-config'), 'base\n');
    const snapshot = await e.adapter.snapshotConfiguration();
    // a crash after the merge commit but before the journal recorded it
    writeFileSync(join(e.routerRoot, 'running-config'), 'base\nadd\n');
    const digest = 'a'.repeat(64);
    await e.store.update((s) => ({
      ...s,
      phase: 'in-progress',
      journal: {
        digest,
        source: 'x',
        startedAt: new Date().toISOString(),
        completedSteps: ['pre-script'],
        currentStep: 'config',
        snapshot,
      },
    }));
    const info: OnboardingInformation = {
      preConfigurationScript: loggingScript(log, 'pre'),
      configurationHandling: 'merge',
      configuration: bytes('add\n'),
      postConfigurationScript: loggingScript(log, 'post'),
    };
    assert.deepEqual(await applyOnboarding(e.source(info, { digest }), e.deps()), { kind: 'complete' });
    assert.equal(e.runningConfig(), 'base\nadd\n', 'merged exactly once');
    assert.deepEqual(lines(log), ['post 1 base|add|'], 'pre-script not run again');
  });

  test('script files left by a killed agent are removed by the next run', async () => {
    const e = setup();
    const stateDir = e.config.agent.stateDir;
    for (const name of ['pre-script-Ab12Cd', 'post-script-x9Y8z7']) {
      mkdirSync(join(stateDir, name), { recursive: true });
      writeFileSync(join(stateDir, name, 'received-script'), '#!/bin/sh\n');
    }
    mkdirSync(join(stateDir, 'images'), { recursive: true });
    await applyOnboarding(e.source({ configurationHandling: 'merge', configuration: bytes('c\n') }), e.deps());
    const left = readdirSync(stateDir);
    assert.ok(!left.some((n) => n.includes('-script-')), `left: ${left.join(', ')}`);
    assert.ok(left.includes('images'), 'other state is kept');
  });

  test('a journal of other conveyed information is rolled back first', async () => {
    const e = setup();
    mkdirSync(e.routerRoot, { recursive: true });
    const snapshot = await e.adapter.snapshotConfiguration(); // factory default
    writeFileSync(join(e.routerRoot, 'running-config'), 'half applied\n');
    await e.store.update((s) => ({
      ...s,
      journal: {
        digest: 'b'.repeat(64),
        source: 'old',
        startedAt: new Date().toISOString(),
        completedSteps: ['config'],
        currentStep: 'post-script',
        snapshot,
      },
    }));
    await applyOnboarding(e.source({ configurationHandling: 'merge', configuration: bytes('fresh\n') }), e.deps());
    assert.equal(e.runningConfig(), 'fresh\n');
    assert.equal((await e.store.read()).journal?.digest, 'd'.repeat(64));
  });

  test('an abort between steps stops with SZTP_ERR_ABORTED and keeps the journal for resume', async () => {
    const e = setup();
    const ac = new AbortController();
    const log = join(e.dir, 'scripts.log');
    const info: OnboardingInformation = {
      preConfigurationScript: loggingScript(log, 'pre'),
      configurationHandling: 'replace',
      configuration: bytes('c\n'),
    };
    const reporter = {
      report: (ev: ProgressEvent) => {
        if (ev.progressType === 'pre-script-complete') ac.abort();
        return Promise.resolve();
      },
    };
    await rejectsWith(applyOnboarding(e.source(info, { reporter }), e.deps({ signal: ac.signal })), 'SZTP_ERR_ABORTED');
    assert.deepEqual((await e.store.read()).journal?.completedSteps, ['pre-script']);
    assert.equal(e.runningConfig(), undefined);
    assert.deepEqual(await applyOnboarding(e.source(info), e.deps()), { kind: 'complete' });
    assert.deepEqual(lines(log).length, 1, 'pre-script ran once');
    assert.equal(e.runningConfig(), 'c\n');
  });
});

test('a signal during a step stops without rollback; the step stays current for the next run', async () => {
  const e = setup();
  const ac = new AbortController();
  const img = join(e.dir, 'i.bin');
  writeFileSync(img, 'i');
  const info: OnboardingInformation = {
    bootImage: {
      osVersion: '2',
      downloadUris: [img],
      imageVerification: [{ hashAlgorithm: 'sha-256', hashValue: createHash('sha256').update('i').digest() }],
    },
  };
  const download = (): Promise<never> => {
    ac.abort();
    return Promise.reject(new SztpError('SZTP_ERR_DOWNLOAD_FAILED', 'aborted'));
  };
  await rejectsWith(applyOnboarding(e.source(info), e.deps({ signal: ac.signal, download })), 'SZTP_ERR_ABORTED');
  const state = await e.store.read();
  assert.equal(state.journal?.currentStep, 'boot-image');
  assert.ok(!(await events(e)).includes('boot-image-error'));
});

test('secure ZTP turned off during the pre-script: the configuration never runs, the attempt is rolled back (SZTP_ERR_SECURE_MODE_OFF)', async () => {
  const e = setup();
  const log = join(e.dir, 'scripts.log');
  const info: OnboardingInformation = {
    preConfigurationScript: loggingScript(log, 'pre'),
    configurationHandling: 'merge',
    configuration: bytes('c\n'),
    postConfigurationScript: loggingScript(log, 'post'),
  };
  // The operator's `secure-mode disable` lands while the pre-script runs (the store is the shared state file).
  const reporter = {
    report: async (ev: ProgressEvent) => {
      if (ev.progressType === 'pre-script-complete') await e.store.update((s) => ({ ...s, secureMode: false }));
    },
  };
  await rejectsWith(applyOnboarding(e.source(info, { reporter }), e.deps()), 'SZTP_ERR_SECURE_MODE_OFF');
  assert.equal(e.runningConfig(), undefined, 'the configuration step did not run');
  assert.deepEqual(lines(log).length, 1, 'only the pre-script ran');
  const state = await e.store.read();
  assert.equal(state.secureMode, false, 'the flag stays off');
  assert.deepEqual(state.journal?.completedSteps ?? [], [], 'nothing counted as applied');
  assert.equal(state.lastError?.code, 'SZTP_ERR_SECURE_MODE_OFF');
});

test('secure ZTP turned off by a script of the onboarding itself (`secure-mode disable` in the pre-script): the onboarding goes on', async () => {
  const e = setup();
  const info: OnboardingInformation = {
    preConfigurationScript: bytes('#!/bin/sh\nexit 0\n'),
    configurationHandling: 'merge',
    configuration: bytes('c\n'),
  };
  const reporter = {
    report: async (ev: ProgressEvent) => {
      if (ev.progressType === 'pre-script-complete')
        await e.store.update((s) => withSecureMode(s, false, 'onboarding'));
    },
  };
  assert.deepEqual(await applyOnboarding(e.source(info, { reporter }), e.deps()), { kind: 'complete' });
  assert.equal(e.runningConfig(), 'c\n');
});

describe('applyOnboarding: adapter capabilities', () => {
  test('a plan the adapter cannot carry out fails before the boot image and the pre-script: parsing-error, SZTP_ERR_ADAPTER_UNSUPPORTED', async () => {
    const e = setup();
    const log = join(e.dir, 'scripts.log');
    const f = imageFile(e, 'sim-2.0.bin', 'image 2.0');
    const info: OnboardingInformation = {
      bootImage: {
        osName: 'SimOS',
        osVersion: '2.0',
        downloadUris: ['file:///disk2:/images/sim-2.0.bin'],
        imageVerification: [{ hashAlgorithm: 'ietf-sztp-conveyed-info:sha-256', hashValue: f.sha }],
      },
      preConfigurationScript: loggingScript(log, 'pre'),
      configurationHandling: 'replace',
      configuration: bytes('hostname r1\n'),
    };
    const capabilities = new Set(['commit-merge', 'install-image', 'reboot', 'run-script'] as const);
    const err = await rejectsWith(
      applyOnboarding(e.source(info, { resolveLocalUri: stickResolver(e) }), e.deps({ capabilities })),
      'SZTP_ERR_ADAPTER_UNSUPPORTED',
    );
    assert.deepEqual(err.evidence?.missing, ['commit-replace']);
    assert.deepEqual(await events(e), ['bootstrap-initiated', 'parsing-error']);
    assert.equal(e.downloads.length, 0, 'no image downloaded');
    assert.deepEqual(lines(log), [], 'no script ran');
    assert.equal(e.runningConfig(), undefined);
    assert.ok(!existsSync(join(e.routerRoot, 'pending-reboot')));
    assert.equal((await e.store.read()).phase, 'factory-default');
  });

  test('an image install needs install-image and reboot; a boot image already running needs neither', async () => {
    const e = setup();
    const needsImage: OnboardingInformation = {
      bootImage: { osName: 'SimOS', osVersion: '2.0', downloadUris: ['https://192.0.2.1/x'], imageVerification: [] },
    };
    const err = await rejectsWith(
      applyOnboarding(e.source(needsImage), e.deps({ capabilities: new Set(['install-image'] as const) })),
      'SZTP_ERR_ADAPTER_UNSUPPORTED',
    );
    assert.deepEqual(err.evidence?.missing, ['reboot']);
    assert.equal(e.downloads.length, 0);
    const running: OnboardingInformation = {
      bootImage: { osName: 'SimOS', osVersion: '1.0', downloadUris: ['https://192.0.2.1/x'], imageVerification: [] },
    };
    assert.deepEqual(
      await applyOnboarding(e.source(running, { digest: 'e'.repeat(64) }), e.deps({ capabilities: new Set() })),
      { kind: 'complete' },
    );
  });

  test('with every capability the same plan runs', async () => {
    const e = setup();
    const info: OnboardingInformation = { configurationHandling: 'replace', configuration: bytes('hostname r1\n') };
    assert.deepEqual(
      await applyOnboarding(e.source(info), e.deps({ capabilities: new Set(['commit-replace'] as const) })),
      { kind: 'complete' },
    );
    assert.equal(e.runningConfig(), 'hostname r1\n');
  });
});

function readdirSafe(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('applyOnboarding: bootstrap-warning (RFC 8572 §5.6, C-128; issue 11 item 10)', () => {
  const run = async (trustedServer: boolean, disableFlag: boolean): Promise<string[]> => {
    const e = setup();
    const seen: string[] = [];
    const reporter = {
      report: (ev: ProgressEvent) => {
        seen.push(ev.progressType);
        return Promise.resolve();
      },
    };
    // A post-configuration script stands for the configuration turning secure ZTP off: it flips the flag in the state.
    const store = e.store;
    const base = e.source({ configuration: bytes('hostname w\n'), configurationHandling: 'merge' }, { reporter });
    const source = { ...base, trustedServer };
    const deps = e.deps();
    if (disableFlag) await store.update((s) => withSecureMode(s, false, 'onboarding'));
    const outcome = await applyOnboarding(source, deps);
    assert.equal(outcome.kind, 'complete');
    return seen;
  };
  test('trusted server, flag still enabled: bootstrap-warning just before bootstrap-complete', async () => {
    const seen = await run(true, false);
    assert.deepEqual(seen.slice(-2), ['bootstrap-warning', 'bootstrap-complete']);
    assert.equal(seen.filter((t) => t === 'bootstrap-warning').length, 1);
  });
  test('flag disabled (secure-mode off at the end), or an untrusted source: no bootstrap-warning', async () => {
    assert.equal((await run(true, true)).includes('bootstrap-warning'), false);
    assert.equal((await run(false, false)).includes('bootstrap-warning'), false);
  });
});
