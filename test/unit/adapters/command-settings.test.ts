import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileCommandSettings, type CommandPreset } from '../../../src/adapters/command-settings.ts';
import { renderTemplate } from '../../../src/adapters/command-template.ts';
import { isSztpError } from '../../../src/errors.ts';

const preset: CommandPreset = {
  name: 't',
  macros: [['base', 'tool --root /r'], ['sub', '{base} sub']],
  settings: { commit_merge: '{sub} merge {file}', reboot: 'reboot', snapshot: 'show', restore: 'load {snapshot}', os_name: 'T-OS' },
};

test('macros may use earlier macros and are overridable; user keys win; empty switches off', () => {
  const s = compileCommandSettings(preset, { base: 'other', reboot: '' });
  assert.deepEqual(renderTemplate(s.operations.commit_merge!.template, { file: 'F' }), ['other', 'sub', 'merge', 'F']);
  assert.equal(s.operations.reboot, undefined);
  assert.deepEqual(s.identity, { osName: 'T-OS' });
  assert.equal(s.atomicCommit, true);
  assert.equal(compileCommandSettings(preset, { restore: '' }).atomicCommit, false);
});

test('timeouts: per-operation key, then timeout_seconds, then the default; run_script has none of its own', () => {
  const d = compileCommandSettings(preset, { run_script: '{script}' });
  assert.equal(d.operations.commit_merge!.timeoutMs, 300_000);
  assert.equal(d.operations.run_script!.timeoutMs, 0);
  const s = compileCommandSettings(preset, { timeout_seconds: '7', commit_merge_timeout_seconds: '1.5', run_script: '{script}' });
  assert.equal(s.operations.commit_merge!.timeoutMs, 1500);
  assert.equal(s.operations.reboot!.timeoutMs, 7000);
  assert.equal(s.operations.run_script!.timeoutMs, 0);
});

test('bad values are coded configuration errors', () => {
  const cases: [Record<string, string>, string][] = [
    [{ reboot_timeout_seconds: '-1' }, 'SZTP_ERR_CONFIG_VALUE'],
    [{ timeout_seconds: '100000' }, 'SZTP_ERR_CONFIG_VALUE'],
    [{ atomic_commit: 'maybe' }, 'SZTP_ERR_CONFIG_VALUE'],
    [{ reboot_timeout: '5', rebot_timeout_seconds: '5' }, 'SZTP_ERR_CONFIG_UNKNOWN_KEY'],
    [{ sub: "x 'y" }, 'SZTP_ERR_CONFIG_VALUE'],
  ];
  for (const [user, code] of cases) {
    assert.throws(() => compileCommandSettings(preset, user), (e: unknown) => isSztpError(e) && e.code === code, JSON.stringify(user));
  }
});

test('received data (os_name, os_version) cannot be spliced into the command text of a shell', () => {
  const spliced = [
    'sh -c "installer --version {os_version} {image}"',
    '/bin/bash -ec "echo {os_name} > /etc/next-os"',
    "sh -x -c \"upgrade {os_version}\"",
  ];
  for (const install_image of spliced) {
    assert.throws(() => compileCommandSettings(preset, { install_image }), (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_CONFIG_VALUE' && /must not be part of a shell/.test(e.message), install_image);
  }
  // as separate argv elements (also after sh -c '...'), or agent-made paths in the text: fine
  const ok = compileCommandSettings(preset, { install_image: `sh -c 'installer --version "$1" "$2"' sh {os_version} {image}`, restore: 'sh -c "load {snapshot}"' });
  assert.deepEqual(renderTemplate(ok.operations.install_image!.template, { os_version: '1; reboot', image: '/i' }),
    ['sh', '-c', 'installer --version "$1" "$2"', 'sh', '1; reboot', '/i']);
});
