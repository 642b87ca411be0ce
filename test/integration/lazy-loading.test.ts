/**
 * Lazy loading (issue 15): each command loads only what it uses. Runs the real CLI (from src via
 * tsx) with a resolve hook that records every module the process loads, and checks that `status`,
 * `config`, `secure-mode` and `reset` never load pkijs, asn1js, undici, fast-xml-parser or the DHCP
 * clients, and that `run` loads a fetcher's protocol code only when that fetcher is tried.
 * @module
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const HOOK = join(ROOT, 'test', 'support', 'record-loads.mjs');
const dir = mkdtempSync(join(tmpdir(), 'sztp-lazy-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Heavy modules no light command may load. */
const HEAVY: readonly [string, RegExp][] = [
  ['pkijs', /\/node_modules\/pkijs\//],
  ['asn1js', /\/node_modules\/asn1js\//],
  ['undici', /\/node_modules\/undici\//],
  ['fast-xml-parser', /\/node_modules\/fast-xml-parser\//],
  ['the DHCP clients', /\/src\/dhcp\//],
  ['the trust pipeline', /\/src\/validation\/pipeline\.ts$/],
  ['the RESTCONF client', /\/src\/bootstrap\/(client|restconf|tls|walk)\.ts$/],
];

const DEMO_SERIAL = readFileSync(join(ROOT, 'fixtures', 'demo', 'serial-number'), 'utf8').trim();

function ini(name: string, lines: readonly string[]): string {
  const file = join(dir, `${name}.ini`);
  writeFileSync(
    file,
    [
      '[Router]',
      'adapter: simulated',
      `root: ${join(dir, `${name}-router`)}`,
      'os_name: SimOS',
      'os_version: 1.0',
      '[Device]',
      `serial_number: ${lines.some((l) => l.startsWith('idevid_cert:')) ? DEMO_SERIAL : 'SN-LAZY'}`,
      '[Agent]',
      `state_dir: ${join(dir, `${name}-state`)}`,
      'log_level: warn',
      ...lines,
      '',
    ].join('\n'),
  );
  return file;
}

/** Runs the CLI and returns its exit code and the modules it loaded. */
async function loaded(args: readonly string[]): Promise<{ code: number | null; urls: string[]; stderr: string }> {
  const record = join(dir, `loads-${Math.random().toString(36).slice(2)}.txt`);
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', HOOK, join(ROOT, 'src', 'cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, RECORD_LOADS: record },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((res) => child.on('close', res));
  const urls = existsSync(record)
    ? readFileSync(record, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
  return { code, urls, stderr };
}

const heavyIn = (urls: readonly string[]): string[] =>
  HEAVY.filter(([, re]) => urls.some((u) => re.test(u))).map(([name]) => name);

for (const command of [
  ['config'],
  ['config', '--json'],
  ['status'],
  ['status', '--json'],
  ['secure-mode', 'status'],
  ['secure-mode', 'disable'],
  ['reset'],
]) {
  test(`\`${command.join(' ')}\` loads none of the heavy modules`, async () => {
    const r = await loaded(['--config', ini(command.join('-'), []), ...command]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      r.urls.some((u) => u.endsWith('/src/cli/program.ts')),
      'the hook recorded the CLI itself',
    );
    assert.deepEqual(heavyIn(r.urls), []);
  });
}

test('the hook does see the heavy modules when a command uses them (`verify` loads the trust pipeline)', async () => {
  const r = await loaded([
    'verify',
    '--conveyed-info',
    join(dir, 'missing.cms'),
    '--trust-anchors',
    join(dir, 'missing.pem'),
    '--serial',
    'X',
  ]);
  assert.equal(r.code, 2, r.stderr); // usage error: the files do not exist, so nothing is validated
  assert.deepEqual(heavyIn(r.urls), [], 'a usage error needs no trust pipeline');
  const fixtures = join(ROOT, 'fixtures', 'demo');
  const v = await loaded([
    'verify',
    '--conveyed-info',
    join(fixtures, 'usb', 'EN9', 'conveyed-information.cms'),
    '--owner-cert',
    join(fixtures, 'usb', 'EN9', 'owner-certificate.cms'),
    '--voucher',
    join(fixtures, 'usb', 'EN9', 'ownership-voucher.vcj'),
    '--trust-anchors',
    join(fixtures, 'pki', 'masa-ca.crt'),
    '--serial',
    readFileSync(join(fixtures, 'serial-number'), 'utf8').trim(),
  ]);
  assert.equal(v.code, 0, v.stderr);
  assert.ok(heavyIn(v.urls).includes('pkijs') && heavyIn(v.urls).includes('the trust pipeline'));
});

test("`run` loads a fetcher's protocol code only when that fetcher is tried", async () => {
  // USB first (nothing on the stick), then DHCP on an interface that does not exist: the DHCP fetcher is tried.
  const both = ini('run-usb-dhcp', [
    '[Startup]',
    'retry_forever: False',
    '[Fetcher Priority]',
    'USB: 0',
    'Mgmt4: 1',
    '[USB]',
    `mount_points: ${join(dir, 'no-stick')}`,
    '[Interfaces]',
    'Mgmt: sztp-lazy-none0',
    '[DHCP]',
    'source: lease-file',
    `lease_files: ${join(dir, 'no-leases')}`,
  ]);
  const r = await loaded(['--config', both, 'run', '--once']);
  assert.equal(r.code, 1, r.stderr);
  assert.ok(r.urls.some((u) => u.endsWith('/src/fetchers/usb.ts')));
  assert.ok(r.urls.some((u) => u.endsWith('/src/fetchers/dhcp.ts')));
  assert.ok(r.urls.some((u) => /\/src\/dhcp\//.test(u)));
  // USB only, nothing found, with the demo device's IDevID and voucher trust anchor (read, checked
  // and judged for the voucher-signer risk at start): nothing heavy is loaded, not even pkijs.
  const usb = ini('run-usb', [
    '[Startup]',
    'retry_forever: False',
    '[Fetcher Priority]',
    'USB: 0',
    '[USB]',
    `mount_points: ${join(dir, 'no-stick')}`,
    ...demoDevice(),
  ]);
  const u = await loaded(['--config', usb, 'run', '--once']);
  assert.equal(u.code, 1, u.stderr);
  assert.ok(u.urls.some((x) => x.endsWith('/src/fetchers/usb.ts')));
  assert.ok(!u.urls.some((x) => x.endsWith('/src/fetchers/dhcp.ts')));
  assert.ok(u.urls.some((x) => x.endsWith('/src/daemon/voucher-signer-check.ts')));
  assert.deepEqual(heavyIn(u.urls), []);
});

/** [Device] lines of the demo device (fixtures/demo): IDevID certificate and key, voucher trust anchor. */
function demoDevice(): string[] {
  const pki = join(ROOT, 'fixtures', 'demo', 'pki');
  return [
    '[Device]',
    `idevid_cert: ${join(pki, 'idevid.crt')}`,
    `idevid_key: ${join(pki, 'idevid.key')}`,
    `voucher_trust_anchors: ${join(pki, 'masa-ca.crt')}`,
  ];
}

test('`config` with an IDevID and voucher trust anchors (the voucher-signer check) loads none of the heavy modules', async () => {
  const r = await loaded(['--config', ini('config-device', demoDevice()), 'config']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.urls.some((x) => x.endsWith('/src/daemon/voucher-signer-check.ts')));
  assert.deepEqual(heavyIn(r.urls), []);
});
