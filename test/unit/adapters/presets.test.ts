import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { pino } from 'pino';
import { builtinAdapter } from '../../../src/adapters/registry.ts';
import { compileCommandSettings, OPERATION_NAMES } from '../../../src/adapters/command-settings.ts';
import type { CommandPreset } from '../../../src/adapters/command-settings.ts';
import { renderTemplate } from '../../../src/adapters/command-template.ts';
import { FRR_PRESET } from '../../../src/adapters/presets/frr.ts';
import { IOSXR_PRESET } from '../../../src/adapters/presets/iosxr.ts';
import { SONIC_PRESET } from '../../../src/adapters/presets/sonic.ts';
import type { RouterAdapter } from '../../../src/adapters/router-adapter.ts';
import { isSztpError } from '../../../src/errors.ts';
import { makeFakeBin } from '../../support/fake-bin.ts';
import type { FakeBin } from '../../support/fake-bin.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

const V = {
  file: '/w/config.x',
  snapshot: '/w/snapshot.x',
  image: '/w/image.bin',
  os_name: 'N',
  os_version: '9.1',
  sha256: 'aa',
  script: '/w/s',
  kind: 'pre',
  mode: 'merge',
  work_dir: '/w',
};

function argvOf(preset: CommandPreset, user: Record<string, string> = {}): Record<string, string[]> {
  const s = compileCommandSettings(preset, user);
  const out: Record<string, string[]> = {};
  for (const op of OPERATION_NAMES) {
    const c = s.operations[op];
    if (c !== undefined) out[op] = renderTemplate(c.template, V);
  }
  return out;
}

const sshKeys = ['sh', '-c', 'cat /etc/ssh/ssh_host_*_key.pub 2>/dev/null; exit 0'];
const osRelease = (field: string): string[] => ['sh', '-c', `. /etc/os-release && printf %s "$${field}"`];
const xr = ['bash', '-c', 'source "$0" && "$@"', '/pkg/bin/ztp_helper.sh'];
const xrShow = (cmd: string, sed: string): string[] => [
  'bash',
  '-c',
  `source "$0" && xrcmd "${cmd}" | sed -n "${sed}" | head -n 1`,
  '/pkg/bin/ztp_helper.sh',
];

test('frr preset: the exact argv of every operation', () => {
  assert.deepEqual(argvOf(FRR_PRESET), {
    identity_hw_model: ['uname', '-m'],
    identity_os_name: osRelease('ID'),
    identity_os_version: osRelease('VERSION_ID'),
    snapshot: ['vtysh', '-c', 'show running-config no-header'],
    restore: ['/usr/lib/frr/frr-reload.py', '--stdout', '--reload', '/w/snapshot.x'],
    commit_check: ['vtysh', '-C', '-f', '/w/config.x'],
    commit_merge: ['vtysh', '-f', '/w/config.x'],
    commit_replace: ['/usr/lib/frr/frr-reload.py', '--stdout', '--reload', '/w/config.x'],
    save: ['vtysh', '-c', 'write memory'],
    reboot: ['systemctl', 'reboot'],
    run_script: ['/w/s'],
    ssh_host_keys: sshKeys,
  });
});

test('frr preset: vtysh and frr_reload macros reach a namespaced FRR with a private path space', () => {
  const a = argvOf(FRR_PRESET, {
    vtysh: 'ip netns exec r1 vtysh --vty_socket /run/r1',
    frr_reload: '/usr/lib/frr/frr-reload.py --stdout --vty_socket /run/r1 --confdir /run/r1',
  });
  assert.deepEqual(a.commit_merge, [
    'ip',
    'netns',
    'exec',
    'r1',
    'vtysh',
    '--vty_socket',
    '/run/r1',
    '-f',
    '/w/config.x',
  ]);
  assert.deepEqual(a.restore, [
    '/usr/lib/frr/frr-reload.py',
    '--stdout',
    '--vty_socket',
    '/run/r1',
    '--confdir',
    '/run/r1',
    '--reload',
    '/w/snapshot.x',
  ]);
});

test('iosxr preset: the exact argv of every operation', () => {
  assert.deepEqual(argvOf(IOSXR_PRESET), {
    identity_serial: xrShow('show inventory', 's/.*SN: *\\([^ ]*\\).*/\\1/p'),
    identity_hw_model: xrShow('show version', 's/^cisco \\([^ ]*\\) .*/\\1/p'),
    identity_os_version: xrShow('show version', 's/.*Version \\([0-9][^ ]*\\).*/\\1/p'),
    snapshot: [...xr, 'xrcmd', 'show running-config'],
    restore: [...xr, 'xrreplace', '/w/snapshot.x'],
    commit_merge: [...xr, 'xrapply', '/w/config.x'],
    commit_replace: [...xr, 'xrreplace', '/w/config.x'],
    install_image: [...xr, 'xrcmd', 'install replace /w/image.bin noprompt'],
    reboot: [...xr, 'xrcmd', 'reload location all noprompt'],
    run_script: ['/w/s'],
  });
});

test('sonic preset: the exact argv of every operation', () => {
  assert.deepEqual(argvOf(SONIC_PRESET), {
    identity_serial: ['decode-syseeprom', '-s'],
    identity_hw_model: ['sonic-cfggen', '-d', '-v', 'DEVICE_METADATA.localhost.platform'],
    identity_os_version: ['sonic-cfggen', '-y', '/etc/sonic/sonic_version.yml', '-v', 'build_version'],
    snapshot: ['show', 'runningconfiguration', 'all'],
    restore: ['config', 'reload', '-y', '/w/snapshot.x'],
    commit_merge: ['config', 'load', '-y', '/w/config.x'],
    commit_replace: ['config', 'reload', '-y', '/w/config.x'],
    save: ['config', 'save', '-y'],
    install_image: ['sonic-installer', 'install', '-y', '/w/image.bin'],
    reboot: ['reboot'],
    run_script: ['/w/s'],
    ssh_host_keys: sshKeys,
    factory_reset: ['config-setup', 'factory'],
  });
});

test('every preset key can be overridden or switched off from [Command Adapter]', () => {
  const a = argvOf(SONIC_PRESET, {
    commit_merge: 'config load -y {file} --yang',
    save: '',
    reboot: 'systemctl reboot -i',
  });
  assert.deepEqual(a.commit_merge, ['config', 'load', '-y', '/w/config.x', '--yang']);
  assert.equal(a.save, undefined);
  assert.deepEqual(a.reboot, ['systemctl', 'reboot', '-i']);
});

// --- execution against fake binaries on PATH: what the adapter really runs, in order ---

let dir: string;
let fake: FakeBin;
beforeEach(() => {
  dir = makeTempDir('preset');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function adapter(name: string, settings: Record<string, string>): RouterAdapter {
  const factory = builtinAdapter(name)?.create;
  assert.ok(factory);
  return factory({
    settings: { adapter: name, path: `${dir}:/usr/bin:/bin`, ...settings },
    workDir: join(dir, 'work'),
    baseDir: dir,
    log: pino({ level: 'silent' }),
  }) as RouterAdapter;
}

/** Runs the typical onboarding sequence and returns the recorded calls with work-dir paths normalised. */
async function sequence(a: RouterAdapter): Promise<string[][]> {
  const snap = await a.snapshotConfiguration();
  await a.commitConfiguration('merge', new TextEncoder().encode('cfg-merge\n'));
  await a.commitConfiguration('replace', new TextEncoder().encode('cfg-replace\n'));
  await a.restoreConfiguration(snap);
  await a.installBootImage({ path: join(dir, 'image.bin'), osName: 'N', osVersion: '9.1', sha256: 'aa' });
  await a.reboot();
  const work = join(dir, 'work');
  return fake.calls().map((c) => [
    c.name,
    ...c.argv.map((x) =>
      x.startsWith(`${work}/`)
        ? x
            .replace(/snapshot-[^/]*$/, 'SNAPSHOT')
            .replace(/config-[^/]*$/, 'CONFIG')
            .replace(work, 'WORK')
        : x.replace(dir, 'DIR'),
    ),
  ]);
}

test('frr preset runs vtysh and frr-reload.py with the pinned argv, guarding every commit with a snapshot', async () => {
  fake = makeFakeBin(dir, ['vtysh', 'frr-reload.py', 'systemctl']);
  fake.behave('vtysh', { stdout: 'frr version 8.4.4\nend\n' });
  const calls = await sequence(adapter('frr', { frr_reload: 'frr-reload.py --stdout', install_image: 'true' }));
  const snapshot = ['vtysh', '-c', 'show running-config no-header'];
  const save = ['vtysh', '-c', 'write memory'];
  assert.deepEqual(calls, [
    snapshot,
    ['vtysh', '-C', '-f', 'WORK/CONFIG'],
    snapshot,
    ['vtysh', '-f', 'WORK/CONFIG'],
    save,
    ['vtysh', '-C', '-f', 'WORK/CONFIG'],
    snapshot,
    ['frr-reload.py', '--stdout', '--reload', 'WORK/CONFIG'],
    save,
    ['frr-reload.py', '--stdout', '--reload', 'WORK/SNAPSHOT'],
    save,
    ['systemctl', 'reboot'],
  ]);
});

test('frr preset: a rejected merge is restored through frr-reload.py and reported as SZTP_ERR_CONFIG_COMMIT', async () => {
  fake = makeFakeBin(dir, ['vtysh', 'frr-reload.py']);
  const a = adapter('frr', {
    frr_reload: 'frr-reload.py',
    commit_check: '',
    commit_merge: 'sh -c \'vtysh -f "$1"; exit 2\' sh {file}',
  });
  await assert.rejects(
    a.commitConfiguration('merge', new TextEncoder().encode('x\n')),
    (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_CONFIG_COMMIT' && e.evidence?.restored === true,
  );
  assert.deepEqual(
    fake.calls().map((c) => [c.name, c.argv[0]]),
    [
      ['vtysh', '-c'],
      ['vtysh', '-f'],
      ['frr-reload.py', '--reload'],
      ['vtysh', '-c'],
    ],
  );
});

test('iosxr preset sources the ZTP helper and calls xrapply/xrreplace/xrcmd with the pinned argv', async () => {
  fake = makeFakeBin(dir, ['xrcmd', 'xrapply', 'xrreplace']);
  // The real helper defines bash functions; this stand-in defines none, so the fakes on PATH answer.
  writeFileSync(join(dir, 'ztp_helper.sh'), 'XR_HELPER_SOURCED=1\n');
  fake.behave('xrcmd', {
    stdout: 'Cisco IOS XR Software, Version 7.9.2\ncisco 8201-32FH (Intel) processor\nNAME: "Rack 0", SN: FOC1234\n',
  });
  const a = adapter('iosxr', { ztp_helper: join(dir, 'ztp_helper.sh') });
  assert.deepEqual(await a.identity(), {
    serialNumber: 'FOC1234',
    hwModel: '8201-32FH',
    osName: 'IOS-XR',
    osVersion: '7.9.2',
  });
  assert.deepEqual(
    fake.calls().map((c) => [c.name, ...c.argv]),
    [
      ['xrcmd', 'show inventory'],
      ['xrcmd', 'show version'],
      ['xrcmd', 'show version'],
    ],
  );
  rmSync(join(dir, 'calls.log'));
  const calls = await sequence(a);
  const snapshot = ['xrcmd', 'show running-config'];
  assert.deepEqual(calls, [
    snapshot,
    snapshot,
    ['xrapply', 'WORK/CONFIG'],
    snapshot,
    ['xrreplace', 'WORK/CONFIG'],
    ['xrreplace', 'WORK/SNAPSHOT'],
    ['xrcmd', `install replace DIR/image.bin noprompt`],
    ['xrcmd', 'reload location all noprompt'],
  ]);
});

test('sonic preset runs config, show and sonic-installer with the pinned argv; snapshot holds show output', async () => {
  fake = makeFakeBin(dir, [
    'config',
    'show',
    'sonic-installer',
    'reboot',
    'sonic-cfggen',
    'decode-syseeprom',
    'config-setup',
  ]);
  fake.behave('show', { stdout: '{"DEVICE_METADATA": {}}\n' });
  fake.behave('sonic-cfggen', { stdout: '202311.1\n' });
  fake.behave('decode-syseeprom', { stdout: 'SN-SONIC\n' });
  const a = adapter('sonic', {});
  const snap = await a.snapshotConfiguration();
  assert.match(snap.ref, /\.json$/);
  assert.equal(readFileSync(join(dir, 'work', snap.ref), 'utf8'), '{"DEVICE_METADATA": {}}\n');
  rmSync(join(dir, 'calls.log'));
  const calls = await sequence(a);
  const snapshot = ['show', 'runningconfiguration', 'all'];
  const save = ['config', 'save', '-y'];
  assert.deepEqual(calls, [
    snapshot,
    snapshot,
    ['config', 'load', '-y', 'WORK/CONFIG'],
    save,
    snapshot,
    ['config', 'reload', '-y', 'WORK/CONFIG'],
    save,
    ['config', 'reload', '-y', 'WORK/SNAPSHOT'],
    save,
    ['sonic-installer', 'install', '-y', 'DIR/image.bin'],
    ['reboot'],
  ]);
  rmSync(join(dir, 'calls.log'));
  assert.deepEqual(await a.identity(), {
    serialNumber: 'SN-SONIC',
    hwModel: '202311.1',
    osName: 'SONiC',
    osVersion: '202311.1',
  });
  await a.factoryReset();
  assert.deepEqual(
    fake
      .calls()
      .map((c) => [c.name, ...c.argv])
      .at(-1),
    ['config-setup', 'factory'],
  );
  fake.behave('sonic-installer', { exit: 1, stderr: 'Image file not found\n' });
  await assert.rejects(
    a.installBootImage({ path: '/x', sha256: 'aa' }),
    (e: unknown) =>
      isSztpError(e) && e.code === 'SZTP_ERR_BOOT_IMAGE_INSTALL' && /not found/.test(String(e.evidence?.stderr)),
  );
});
