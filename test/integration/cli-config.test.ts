/**
 * `sztp-agent config` as a real process: the seed's ztp.ini lists USB, Mgmt4, Mgmt6, DPort4,
 * DPort6; broken files exit 2 naming every line; a missing file exits 2 unless --use-defaults;
 * usage errors exit 2 with SZTP_ERR_USAGE. Also the in-process runCli and the built binary.
 * @module
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../../src/cli/program.ts';
import { DIST_CLI, cli, sandbox } from './cli-helpers.ts';

const box = sandbox();
after(() => {
  box.cleanup();
});

const SEED =
  '[Startup]\nstart: True\nretry_forever: True\n\n[Fetcher Priority]\nUSB: 0\n\nMgmt4: 1\nMgmt6: 2\nDPort4: 3\nDPort6: 4\n';

test('config --json on the seed file lists the fetchers in order', async () => {
  const file = box.write(SEED);
  const r = await cli(['--config', file, 'config', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { fetchers: string[]; startup: { retryForever: boolean }; file: string };
  assert.deepEqual(doc.fetchers, ['USB', 'Mgmt4', 'Mgmt6', 'DPort4', 'DPort6']);
  assert.equal(doc.startup.retryForever, true);
  assert.equal(doc.file, file);
});

test('a broken file exits 2 listing every problem with file:line', async () => {
  const file = box.write('[Startup]\nstart: perhaps\n\n[Fetcher Priority]\nUSB: 10\nZip: 1\nnonsense line\n');
  const r = await cli(['--config', file, 'config']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error SZTP_ERR_CONFIG_INVALID: /m);
  for (const line of [2, 5, 6, 7])
    assert.match(r.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:${line}: `), `line ${line}`);
  assert.match(r.stderr, /:6: \[Fetcher Priority\] Zip: unknown fetcher .*\(SZTP_ERR_CONFIG_UNKNOWN_KEY\)/);
});

test('a missing file exits 2 with SZTP_ERR_CONFIG_READ; --use-defaults uses the built-in defaults', async () => {
  const missing = join(box.dir, 'absent.ini');
  const r = await cli(['--config', missing, 'config']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /error SZTP_ERR_CONFIG_READ: .*absent\.ini/);
  const d = await cli(['--config', missing, '--use-defaults', 'config', '--json']);
  assert.equal(d.code, 0, d.stderr);
  assert.equal((JSON.parse(d.stdout) as { file: string }).file, '<defaults>');
});

test('usage errors exit 2 with SZTP_ERR_USAGE (in-process runCli)', async () => {
  let err = '';
  const io = {
    stdout: () => undefined,
    stderr: (s: string) => {
      err += s;
    },
  };
  assert.equal(await runCli(['--config', box.ini, 'config', '--bogus'], io), 2);
  assert.match(err, /error SZTP_ERR_USAGE: unknown option '--bogus'/);
  assert.equal(await runCli(['frobnicate'], io), 2);
  assert.equal(await runCli(['secure-mode', 'sideways', '--config', box.ini], io), 2);
  assert.equal(await runCli(['--help'], { stdout: () => undefined, stderr: () => undefined }), 0);
});

test('config (text) prints the effective configuration in ztp.ini syntax (in-process)', async () => {
  let out = '';
  const code = await runCli(['--config', box.ini, 'config'], {
    stdout: (s) => {
      out += s;
    },
    stderr: () => undefined,
  });
  assert.equal(code, 0);
  assert.match(out, /^\[Fetcher Priority\]\nUSB: 0\nMgmt4: 1\n/m);
  assert.match(out, new RegExp(`^state_dir: ${join(box.dir, 'state')}$`, 'm'));
});

test(
  'the built binary (dist/cli.js) runs as a real process',
  { skip: !existsSync(DIST_CLI[0]!) && 'dist/ not built (npm ci or npm run build)' },
  async () => {
    const file = box.write(SEED);
    const r = await cli(['--config', file, 'config', '--json'], DIST_CLI);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { fetchers: string[] }).fetchers, [
      'USB',
      'Mgmt4',
      'Mgmt6',
      'DPort4',
      'DPort6',
    ]);
    const v = await cli(['--version'], DIST_CLI);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);
  },
);
