/**
 * The README's first quick-start command (`npm run demo` = scripts/demo.ts) works: the bundled
 * fixtures/demo stick provisions the simulated router (image install, reboot, scripts, config).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../support/usb-cli.ts';

test('npm run demo: exit 0, progress printed, running configuration shown, temp dir removed', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'scripts', 'demo.ts')], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  for (const progress of [
    'boot-image-mismatch',
    'boot-image-installed-rebooting',
    'boot-image-complete',
    'pre-script-complete',
    'config-complete',
    'post-script-complete',
    'bootstrap-complete',
  ]) {
    assert.match(r.stdout, new RegExp(progress));
  }
  assert.match(r.stdout, /→ exit 10/);
  assert.match(r.stdout, /phase: +bootstrap-complete/);
  assert.match(r.stdout, /\$ cat router\/running-config\nhostname demo-router\n/);
  assert.match(r.stdout, /pre-configuration script ran\n.*post-configuration script ran/);
  const dir = /sztp-agent demo in (\S+)/.exec(r.stdout)?.[1];
  assert.ok(dir !== undefined);
  assert.equal(spawnSync('test', ['-e', dir]).status, 1, 'temporary directory removed');
});
