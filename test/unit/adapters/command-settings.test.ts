import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileCommandSettings, type CommandPreset } from '../../../src/adapters/command-settings.ts';
import { renderTemplate } from '../../../src/adapters/command-template.ts';
import { parseConfigText } from '../../../src/config/load.ts';
import { ConfigError, isSztpError } from '../../../src/errors.ts';

const preset: CommandPreset = {
  name: 't',
  macros: [
    ['base', 'tool --root /r'],
    ['sub', '{base} sub'],
  ],
  settings: {
    commit_merge: '{sub} merge {file}',
    reboot: 'reboot',
    snapshot: 'show',
    restore: 'load {snapshot}',
    os_name: 'T-OS',
  },
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
  const s = compileCommandSettings(preset, {
    timeout_seconds: '7',
    commit_merge_timeout_seconds: '1.5',
    run_script: '{script}',
  });
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
    assert.throws(
      () => compileCommandSettings(preset, user),
      (e: unknown) => isSztpError(e) && e.code === code,
      JSON.stringify(user),
    );
  }
});

test('received data (os_name, os_version) reaches no interpreter and is never spliced (issue 11 item 4)', () => {
  const refused = [
    'sh -c "installer --version {os_version} {image}"',
    '/bin/bash -ec "echo {os_name} > /etc/next-os"',
    'sh -x -c "upgrade {os_version}"',
    // the detector must not stop at the first non-option argument
    'bash -o pipefail -c "installer {os_version} | tee log"',
    'bash -O extglob -c "installer {os_version}"',
    'su root -c "installer {os_version}"',
    "python3 -c 'import sys; exec(sys.argv[1])' {os_name}",
    '/usr/bin/python3.11 {os_name}',
    'perl -e "system(q({os_version}))"',
    'sudo sh -c "installer {os_version}"',
    'env -S "{os_name}"',
    'sh -c \'eval "$1"\' sh {os_version}',
    "awk 'BEGIN{system(ARGV[1])}' {os_name}",
    'ssh admin@rtr install {os_version}',
    'vtysh -c "install {os_version}"',
    // spliced into a larger argument of a non-interpreter
    'installer --version={os_version} {image}',
  ];
  for (const install_image of refused) {
    assert.throws(
      () => compileCommandSettings(preset, { install_image }),
      (e: unknown) =>
        isSztpError(e) && e.code === 'SZTP_ERR_CONFIG_VALUE' && /may only be a whole argument/.test(e.message),
      install_image,
    );
  }
  // whole arguments of a non-interpreter, or an interpreter reading the environment: fine
  const ok = compileCommandSettings(preset, {
    install_image: 'installer --version {os_version} --name {os_name} {image}',
    restore: 'sh -c "load {snapshot}"',
  });
  assert.deepEqual(
    renderTemplate(ok.operations.install_image!.template, { os_version: '1; reboot', os_name: '$(id)', image: '/i' }),
    ['installer', '--version', '1; reboot', '--name', '$(id)', '/i'],
  );
  assert.doesNotThrow(() =>
    compileCommandSettings(preset, { install_image: `sh -c 'installer --version "$SZTP_OS_VERSION" "$1"' sh {image}` }),
  );
});

test('a template that gives received data to an interpreter is refused at config time with its ztp.ini line', () => {
  const text = [
    '[Router]',
    'adapter: command',
    '[Command Adapter]',
    'reboot: /sbin/reboot',
    'install_image: bash -o pipefail -c "installer {os_version} | tee /tmp/log"',
    '',
  ].join('\n');
  assert.throws(
    () => parseConfigText(text, '/etc/sztp-agent/ztp.ini'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const p = e.problems.find((x) => x.code === 'SZTP_ERR_CONFIG_VALUE');
      assert.equal(p?.line, 5);
      assert.match(p?.message ?? '', /\{os_version\} carries received data .*interpreter bash/);
      return true;
    },
  );
});
