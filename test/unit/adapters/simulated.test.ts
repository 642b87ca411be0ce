import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ROUTER_ADAPTER_API_VERSION, type RouterAdapter } from '../../../src/adapters/router-adapter.ts';
import { createSimulatedAdapter } from '../../../src/adapters/simulated.ts';
import { silentLog } from '../../support/onboarding-env.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

let dir: string;
let root: string;
let adapter: RouterAdapter;
const settings = (extra: Record<string, string> = {}): Record<string, string> => ({
  root: 'router',
  os_name: 'SimOS',
  os_version: '1.0',
  hw_model: 'sim-9',
  ...extra,
});

beforeEach(() => {
  dir = makeTempDir('sim');
  root = join(dir, 'router');
  adapter = createSimulatedAdapter({ settings: settings(), workDir: join(dir, 'work'), baseDir: dir, log: silentLog });
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const cfg = (): string | undefined =>
  existsSync(join(root, 'running-config')) ? readFileSync(join(root, 'running-config'), 'utf8') : undefined;
const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

function script(body: string): string {
  const p = join(dir, `s-${Math.random().toString(16).slice(2)}.sh`);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o700);
  return p;
}

describe('simulated adapter', () => {
  test('identity from settings (root relative to baseDir); serial only when configured', async () => {
    assert.equal(adapter.apiVersion, ROUTER_ADAPTER_API_VERSION);
    assert.deepEqual(await adapter.identity(), { hwModel: 'sim-9', osName: 'SimOS', osVersion: '1.0' });
    const withSerial = createSimulatedAdapter({
      settings: settings({ serial_number: 'SN1' }),
      workDir: join(dir, 'w2'),
      baseDir: dir,
      log: silentLog,
    });
    assert.equal((await withSerial.identity()).serialNumber, 'SN1');
    assert.ok(existsSync(root));
  });

  test('missing required settings is a coded error', () => {
    assert.throws(
      () => createSimulatedAdapter({ settings: { root: 'r' }, workDir: dir, baseDir: dir, log: silentLog }),
      { code: 'SZTP_ERR_CONFIG_VALUE' },
    );
  });

  test('replace writes, merge appends, a !fail-commit line is rejected with nothing written', async () => {
    assert.equal(cfg(), undefined);
    await adapter.commitConfiguration('merge', b('a\n'));
    assert.equal(cfg(), 'a\n');
    await adapter.commitConfiguration('merge', b('b\n'));
    assert.equal(cfg(), 'a\nb\n');
    await adapter.commitConfiguration('replace', b('c\n'));
    assert.equal(cfg(), 'c\n');
    await assert.rejects(adapter.commitConfiguration('replace', b('x\n!fail-commit\n')), {
      code: 'SZTP_ERR_CONFIG_COMMIT',
    });
    assert.equal(cfg(), 'c\n');
    assert.deepEqual(
      readdirSync(root).filter((n) => n.includes('.tmp-')),
      [],
    );
  });

  test('snapshot / restore / discard, including the factory-default (empty) snapshot', async () => {
    const empty = await adapter.snapshotConfiguration();
    assert.equal(empty.empty, true);
    await adapter.commitConfiguration('replace', b('one\n'));
    const one = await adapter.snapshotConfiguration();
    assert.equal(one.empty, false);
    await adapter.commitConfiguration('merge', b('two\n'));
    await adapter.restoreConfiguration(one);
    assert.equal(cfg(), 'one\n');
    await adapter.restoreConfiguration(empty);
    assert.equal(cfg(), undefined);
    await adapter.discardSnapshot(one);
    await assert.rejects(adapter.restoreConfiguration(one), { code: 'SZTP_ERR_ROLLBACK' });
  });

  test('installed image becomes the running version only after the simulated reboot', async () => {
    const img = join(dir, 'img.bin');
    writeFileSync(img, 'image bytes');
    await adapter.installBootImage({ path: img, sha256: 'ab'.repeat(32), osName: 'SimOS', osVersion: '2.0' });
    assert.equal((await adapter.identity()).osVersion, '1.0');
    await adapter.reboot();
    assert.ok(existsSync(join(root, 'pending-reboot')));
    assert.equal((await adapter.identity()).osVersion, '2.0');
    assert.equal(existsSync(join(root, 'pending-reboot')), false);
    assert.equal((await adapter.identity()).osVersion, '2.0');
  });

  test('an image header overrides the claimed version (vendor mismatch simulation)', async () => {
    const img = join(dir, 'img.bin');
    writeFileSync(img, 'SIMULATED-IMAGE os-name=SimOS os-version=1.9\nrest');
    await adapter.installBootImage({ path: img, sha256: 'cd'.repeat(32), osVersion: '2.0' });
    await adapter.reboot();
    assert.equal((await adapter.identity()).osVersion, '1.9');
  });

  test('install of a missing file: SZTP_ERR_BOOT_IMAGE_INSTALL', async () => {
    await assert.rejects(adapter.installBootImage({ path: join(dir, 'nope'), sha256: 'x' }), {
      code: 'SZTP_ERR_BOOT_IMAGE_INSTALL',
    });
  });

  test('scripts run as real processes with a filtered environment and bounded output', async () => {
    process.env.SZTP_SECRET_TEST = 'leak';
    try {
      const r = await adapter.runScript(
        'pre',
        script(
          'echo "kind=$SZTP_SCRIPT_KIND root=$SZTP_ROUTER_ROOT secret=$SZTP_SECRET_TEST x=$X"; echo err >&2; exit 7',
        ),
        { timeoutMs: 5000, env: { X: 'y' } },
      );
      assert.equal(r.exitCode, 7);
      assert.equal(r.stdout.trim(), `kind=pre root=${root} secret= x=y`);
      assert.equal(r.stderr.trim(), 'err');
    } finally {
      delete process.env.SZTP_SECRET_TEST;
    }
    const big = await adapter.runScript('post', script('head -c 200000 /dev/zero | tr "\\0" a'), { timeoutMs: 5000 });
    assert.ok(big.stdout.length < 70_000);
    assert.match(big.stdout, /\[output truncated\]$/);
  });

  test('timeout kills the whole process group', async () => {
    const marker = join(dir, 'child-alive');
    const started = Date.now();
    const r = await adapter.runScript('pre', script(`(sleep 3; touch ${marker}) & sleep 30`), { timeoutMs: 300 });
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, null);
    assert.ok(Date.now() - started < 3000);
    await new Promise((res) => setTimeout(res, 3500));
    assert.equal(existsSync(marker), false, 'background child killed with the group');
  });

  test('a missing or non-executable script reports an error result, not a throw', async () => {
    const r = await adapter.runScript('pre', join(dir, 'missing.sh'), { timeoutMs: 1000 });
    assert.equal(r.exitCode, null);
    assert.match(r.stderr, /cannot run script/);
  });

  test('ssh host keys and trust anchors from root; factoryReset clears router state', async () => {
    assert.deepEqual(await adapter.sshHostKeys(), []);
    mkdirSync(join(root, 'ssh'), { recursive: true });
    const ecdsaBlob = Buffer.concat([
      Buffer.from([0, 0, 0, 19]),
      Buffer.from('ecdsa-sha2-nistp256'),
      Buffer.from([0, 0, 0, 8]),
      Buffer.from('nistp256'),
    ]).toString('base64');
    writeFileSync(join(root, 'ssh', 'ssh_host_ecdsa_key.pub'), `ecdsa-sha2-nistp256 ${ecdsaBlob} host\n`);
    writeFileSync(join(root, 'ssh', 'ssh_host_truncated_key.pub'), 'ecdsa-sha2-nistp256 AAAAE2VjZHNh host\n');
    mkdirSync(join(root, 'trust-anchors'), { recursive: true });
    writeFileSync(join(root, 'trust-anchors', 'ta.cms'), Buffer.from([0x30, 0x00]));
    const keys = await adapter.sshHostKeys();
    assert.equal(keys[0]?.algorithm, 'ecdsa-sha2-nistp256');
    assert.deepEqual(Buffer.from(keys[0]?.keyData ?? []), Buffer.from(ecdsaBlob, 'base64'));
    assert.equal(keys.length, 1, 'a key whose blob is truncated is skipped');
    assert.deepEqual(
      (await adapter.trustAnchorCerts()).map((x) => Buffer.from(x).toString('hex')),
      ['3000'],
    );
    await adapter.commitConfiguration('replace', b('z\n'));
    const img = join(dir, 'img.bin');
    writeFileSync(img, 'i');
    await adapter.installBootImage({ path: img, sha256: 'ee'.repeat(32), osVersion: '3' });
    await adapter.reboot();
    await adapter.identity();
    await adapter.factoryReset();
    assert.equal(cfg(), undefined);
    assert.deepEqual(await adapter.identity(), { hwModel: 'sim-9', osName: 'SimOS', osVersion: '1.0' });
  });
});
