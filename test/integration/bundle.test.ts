/**
 * The single-file build (issue 15): scripts/build-bundle.ts bundles the CLI with esbuild into one
 * ESM file with every runtime dependency inlined, plus a source map. Builds it into a temporary
 * directory, copies it alone (no node_modules, no package.json next to it) and runs it: version,
 * configuration, a complete USB onboarding of the demo stick on the simulated router, and stack
 * a source map that points back to src/ and the dependencies.
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildBundle } from '../../scripts/build-bundle.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DEMO = join(ROOT, 'fixtures', 'demo');
const dir = mkdtempSync(join(tmpdir(), 'sztp-bundle-'));
const bundle = join(dir, 'lib', 'sztp-agent.mjs');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

before(async () => {
  await buildBundle(bundle, 'esm');
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function agent(
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [...nodeFlags, bundle, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
}

test('one file with its source map, far from any node_modules', () => {
  assert.ok(existsSync(`${bundle}.map`));
  const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[] };
  assert.ok(map.sources.some((s) => s.endsWith('src/cli.ts')));
  assert.ok(
    map.sources.some((s) => s.includes('node_modules/pkijs/')),
    'runtime dependencies are inlined',
  );
  const code = readFileSync(bundle, 'utf8');
  assert.ok(code.startsWith('#!/usr/bin/env node\n'));
  // The bundle is one string literal in the launcher (src/launch.ts), its source map URL inside it.
  assert.ok(code.includes('//# sourceMappingURL=sztp-agent.mjs.map\\n'));
  assert.ok(existsSync(`${bundle}.cache`), 'the build warmed up a V8 code cache');
  // The tests below run it where no node_modules can be found, so every dependency must be inside.
  for (let d = dirname(bundle); d !== dirname(d); d = dirname(d))
    assert.ok(!existsSync(join(d, 'node_modules')), `${d}/node_modules`);
});

test('runs alone: --version is the package version, config prints the effective configuration', () => {
  const v = agent(['--version']);
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stdout.trim(), version);
  const c = agent(['--config', join(dir, 'none.ini'), '--use-defaults', 'config', '--json']);
  assert.equal(c.status, 0, c.stderr);
  assert.deepEqual((JSON.parse(c.stdout) as { fetchers: string[] }).fetchers, [
    'USB',
    'Mgmt4',
    'Mgmt6',
    'DPort4',
    'DPort6',
  ]);
});

test('onboards the simulated router from the demo stick (validation, scripts, configuration)', () => {
  const stick = join(dir, 'usb');
  cpSync(join(DEMO, 'usb'), stick, { recursive: true });
  const ini = join(dir, 'ztp.ini');
  writeFileSync(
    ini,
    [
      '[Startup]',
      'retry_forever: False',
      '[Fetcher Priority]',
      'USB: 0',
      '[Device]',
      `idevid_cert: ${join(DEMO, 'pki', 'idevid.crt')}`,
      `idevid_key: ${join(DEMO, 'pki', 'idevid.key')}`,
      `voucher_trust_anchors: ${join(DEMO, 'pki', 'masa-ca.crt')}`,
      '[USB]',
      `mount_points: ${stick}`,
      // Already running the stick's image: no boot-image step, one run completes onboarding.
      '[Router]',
      'adapter: simulated',
      'root: router',
      'os_name: SimOS',
      'os_version: 2.0',
      'hw_model: demo-router',
      '[Agent]',
      'state_dir: state',
      '',
    ].join('\n'),
  );
  const r = agent(['run', '--once', '--config', ini]);
  assert.equal(r.status, 0, r.stderr);
  const s = agent(['status', '--json', '--config', ini]);
  assert.equal((JSON.parse(s.stdout) as { phase: string }).phase, 'bootstrap-complete');
  assert.match(readFileSync(join(dir, 'router', 'running-config'), 'utf8'), /^hostname demo-router$/m);
});

/** Runs `--version` asking the launcher to (re)write the code cache; returns what it says of the cache it found. */
function cacheVerdict(): string {
  const r = spawnSync(process.execPath, [bundle, '--version'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SZTP_AGENT_WRITE_CODE_CACHE: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), version);
  const m = /code cache \S+: (accepted|rejected|absent); (.*)$/m.exec(r.stderr);
  assert.ok(m !== null, r.stderr);
  assert.match(m[2] ?? '', /^written \(\d+ bytes\)$/);
  return m[1] ?? '';
}

test('code cache: the cache of the build is accepted; a truncated, foreign or missing one is not used and the agent runs the same', () => {
  const cache = `${bundle}.cache`;
  const good = readFileSync(cache);
  assert.equal(cacheVerdict(), 'accepted');
  // Truncated (e.g. a copy cut short): V8 rejects it on its recorded length.
  writeFileSync(cache, good.subarray(0, good.byteLength >> 1));
  assert.equal(cacheVerdict(), 'rejected');
  assert.equal(cacheVerdict(), 'accepted', 'the rewritten cache is used by the next start');
  // A cache made for other source text (another build) fails V8's source check.
  const other = join(dir, 'other.mjs');
  writeFileSync(
    other,
    readFileSync(bundle, 'utf8').replace('sourceMappingURL=sztp-agent.mjs.map', 'sourceMappingURL=other.mjs.map '),
  );
  const o = spawnSync(process.execPath, [other, '--version'], {
    cwd: dir,
    env: { ...process.env, SZTP_AGENT_WRITE_CODE_CACHE: '1' },
  });
  assert.equal(o.status, 0);
  writeFileSync(cache, readFileSync(`${other}.cache`));
  assert.equal(cacheVerdict(), 'rejected');
  rmSync(cache);
  assert.equal(agent(['--version']).stdout.trim(), version, 'runs without a cache');
  assert.equal(cacheVerdict(), 'absent');
  assert.ok(!readdirSync(dirname(bundle)).some((n) => n.includes('.tmp-')), 'no temp file left');
});

test('code cache: never written unless asked; a write that fails leaves the result of the command alone', () => {
  const cache = `${bundle}.cache`;
  const before = readFileSync(cache);
  const v = agent(['--version']);
  assert.equal(v.status, 0);
  assert.equal(v.stderr, '');
  assert.deepEqual(readFileSync(cache), before, 'a plain run does not touch the cache');
  // A directory where the cache should be: the write fails, is reported, the command still succeeds.
  rmSync(cache);
  mkdirSync(cache);
  const r = spawnSync(process.execPath, [bundle, '--version'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, SZTP_AGENT_WRITE_CODE_CACHE: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), version);
  assert.match(r.stderr, /code cache .*: absent; not written: /);
  rmSync(cache, { recursive: true });
  writeFileSync(cache, before);
});

test('errors keep their stable codes and exit codes', () => {
  const r = agent(['--config', join(dir, 'missing.ini'), 'status']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^error SZTP_ERR_CONFIG_READ: /m);
});
