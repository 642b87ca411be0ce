/**
 * The single executable (issue 15): scripts/package-sea.ts builds a Node 20 SEA (node + the
 * CommonJS bundle, code cache, postject). The demo (scripts/demo.ts) runs with it as the agent
 * (SZTP_AGENT_BIN) and provisions the simulated router end to end (boot image, reboot, scripts,
 * configuration). In a mount namespace where every node binary on the host is hidden, the
 * executable still runs. Slow (copies and patches a ~100 MB binary), so a system test.
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildSea } from '../../scripts/package-sea.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
let work: string;
let exe: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), `sztp-sea-${process.pid}-`));
  exe = await buildSea(join(work, 'sea'));
});
after(() => {
  rmSync(work, { recursive: true, force: true });
});

test('the executable runs the demo end to end', () => {
  assert.ok(statSync(exe).size > 10 * 1048576, 'node is inside');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'demo.ts')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, SZTP_AGENT_BIN: exe },
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`agent: +${exe.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
  for (const progress of [
    'boot-image-installed-rebooting',
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
});

test('runs where there is no node: every node binary hidden in a mount namespace', () => {
  const script = [
    'for n in $(which -a node nodejs 2>/dev/null); do mount --bind /dev/null "$n"; done',
    'echo nodes=$(for n in $(which -a node nodejs 2>/dev/null); do test -s "$n" && echo "$n"; done | wc -l)',
    `echo version=$(${exe} --version)`,
    `${exe} --use-defaults --config /nonexistent/ztp.ini config --json >/dev/null; echo config=$?`,
  ].join('\n');
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.match(r.stdout, /^nodes=0$/m, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`^version=${version.replace(/\./g, '\\.')}$`, 'm'), r.stderr);
  assert.match(r.stdout, /^config=0$/m, r.stderr);
});
