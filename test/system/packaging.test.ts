/**
 * Boot integration from the release tarball: `npm pack` (runs `prepare` = tsc), `npm install -g`
 * of that tarball into a temporary root's /usr/local, then
 * - `systemd-analyze verify --root` of packaging/systemd/sztp-agent.service inside that root (the
 *   unit is checked unchanged, including that ExecStart exists and is executable), and
 * - packaging/init.d/sztp-agent start / status / stop under dash and BusyBox sh, configured
 *   through a defaults file, against an agent whose only fetcher keeps failing (retry_forever).
 * Slow (npm pack + install, ~10 s), so it lives with the system tests.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { makeTempDir } from '../support/temp-dir.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ANALYZE = '/usr/bin/systemd-analyze';

let work: string;
/** Temporary filesystem root with the agent installed in /usr/local. */
let root: string;
let bin: string;
/** The unit and init script as shipped in the tarball (installed copies). */
let UNIT: string;
let INIT: string;

before(() => {
  work = makeTempDir('pkg');
  root = join(work, 'root');
  const packDir = join(work, 'pack');
  mkdirSync(packDir);
  execFileSync('npm', ['pack', '--pack-destination', packDir], { cwd: ROOT, stdio: 'ignore' });
  const tgz = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  assert.ok(tgz, 'npm pack produced no tarball');
  const install = (mode: string): void => {
    execFileSync(
      'npm',
      ['install', '-g', '--prefix', join(root, 'usr', 'local'), mode, '--no-audit', '--no-fund', join(packDir, tgz)],
      { cwd: work, stdio: 'ignore' },
    );
  };
  try {
    install('--offline'); // dependencies from the cache `npm ci` filled
  } catch {
    install('--prefer-offline');
  }
  bin = join(root, 'usr', 'local', 'bin', 'sztp-agent');
  assert.ok(existsSync(bin));
  // The npm bin is the single-file bundle (issue 15), which the unit and the init script run.
  assert.equal(
    realpathSync(bin),
    realpathSync(join(root, 'usr', 'local', 'lib', 'node_modules', 'sztp-agent', 'dist', 'sztp-agent.mjs')),
  );
  const pkg = join(root, 'usr', 'local', 'lib', 'node_modules', 'sztp-agent', 'packaging');
  UNIT = join(pkg, 'systemd', 'sztp-agent.service');
  INIT = join(pkg, 'init.d', 'sztp-agent');
  assert.equal(readFileSync(INIT, 'utf8'), readFileSync(join(ROOT, 'packaging', 'init.d', 'sztp-agent'), 'utf8'));
  assert.equal(
    readFileSync(UNIT, 'utf8'),
    readFileSync(join(ROOT, 'packaging', 'systemd', 'sztp-agent.service'), 'utf8'),
  );
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

function verifyIn(unitText: string): { status: number | null; output: string } {
  const r = join(work, `vroot-${Math.random().toString(16).slice(2)}`);
  cpSync(root, r, { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(r, 'etc', 'systemd', 'system'), { recursive: true });
  writeFileSync(join(r, 'etc', 'systemd', 'system', 'sztp-agent.service'), unitText);
  // The targets it orders against and /bin/kill (ExecReload), as on any systemd system.
  cpSync('/usr/lib/systemd/system', join(r, 'usr', 'lib', 'systemd', 'system'), {
    recursive: true,
    verbatimSymlinks: true,
  });
  mkdirSync(join(r, 'bin'), { recursive: true });
  copyFileSync('/bin/kill', join(r, 'bin', 'kill'));
  const res = spawnSync(ANALYZE, ['verify', '--man=no', `--root=${r}`, 'sztp-agent.service'], { encoding: 'utf8' });
  rmSync(r, { recursive: true, force: true });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

test(
  'systemd-analyze verify accepts the unit with the tarball-installed ExecStart, without warnings',
  { skip: existsSync(ANALYZE) ? false : 'apt-get install systemd' },
  () => {
    const text = readFileSync(UNIT, 'utf8');
    assert.match(
      text,
      /^ExecStart=\/usr\/local\/bin\/sztp-agent run --config \/etc\/sztp-agent\/ztp\.ini \$SZTP_AGENT_ARGS$/m,
    );
    assert.match(text, /^SuccessExitStatus=10$/m);
    assert.match(text, /^RestartPreventExitStatus=10$/m);
    assert.match(text, /^Restart=on-failure$/m);
    assert.deepEqual(verifyIn(text), { status: 0, output: '' });
    // Controls: the same check fails for a missing binary and warns about a bad value.
    const missing = verifyIn(text.replace('/usr/local/bin/sztp-agent', '/usr/local/bin/sztp-agent-missing'));
    assert.notEqual(missing.status, 0);
    assert.match(missing.output, /not executable/);
    assert.match(verifyIn(text.replace('UMask=0077', 'UMask=0999')).output, /UMask|mode/i);
  },
);

for (const shell of [['dash'], ['busybox', 'sh']] as const) {
  test(
    `init script under ${shell.join(' ')}: start, status, stop of the tarball-installed agent`,
    { skip: existsSync(`/usr/bin/${shell[0]}`) || existsSync(`/bin/${shell[0]}`) ? false : `${shell[0]} missing` },
    async () => {
      const dir = mkdtempSync(join(work, 'init-'));
      mkdirSync(join(dir, 'no-stick'));
      const ini = join(dir, 'ztp.ini');
      writeFileSync(
        ini,
        [
          '[Startup]',
          'start: True',
          'retry_forever: True',
          '[Fetcher Priority]',
          'USB: 0',
          '[USB]',
          `mount_points: ${join(dir, 'no-stick')}`,
          '[Device]',
          'serial_number: SN-PKG-1',
          '[Router]',
          'adapter: command',
          '[Agent]',
          `state_dir: ${join(dir, 'state')}`,
          'backoff_initial_seconds: 0.2',
          'backoff_max_seconds: 0.5',
          '',
        ].join('\n'),
      );
      const pidFile = join(dir, 'run', 'sztp-agent.pid');
      const logFile = join(dir, 'log', 'sztp-agent.log');
      const defaults = join(dir, 'default-sztp-agent');
      writeFileSync(
        defaults,
        `SZTP_AGENT_BIN=${bin}\nCONFIG=${ini}\nPIDFILE=${pidFile}\nLOGFILE=${logFile}\nSTOP_TIMEOUT=10\n`,
      );
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', SZTP_AGENT_DEFAULTS: defaults };
      const init = (action: string) =>
        spawnSync(shell[0], [...shell.slice(1), INIT, action], { encoding: 'utf8', env, timeout: 30_000 });
      let pid: number | undefined;
      try {
        assert.equal(init('status').status, 3, 'not running before start');
        const start = init('start');
        assert.equal(start.status, 0, start.stdout + start.stderr);
        pid = Number(readFileSync(pidFile, 'utf8'));
        assert.ok(readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(bin), 'pid file names the agent');
        const status = init('status');
        assert.equal(status.status, 0);
        assert.match(status.stdout, new RegExp(`running \\(pid ${pid}\\)`));
        // The agent keeps retrying its only (failing) fetcher.
        for (let i = 0; i < 100 && !/"attempt":2\b/.test(existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''); i++)
          await new Promise((r) => setTimeout(r, 100));
        assert.match(readFileSync(logFile, 'utf8'), /SZTP_ERR_NO_SOURCE/);
        assert.equal(init('start').stdout.trim(), `sztp-agent already running (pid ${pid})`);
        const stop = init('stop');
        assert.equal(stop.status, 0, stop.stderr);
        const state = existsSync(`/proc/${pid}/stat`)
          ? readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0]
          : 'gone';
        assert.ok(state === 'gone' || state === 'Z', `agent still alive (state ${String(state)})`);
        assert.equal(existsSync(pidFile), false);
        const after = init('status');
        assert.equal(after.status, 3);
        assert.match(after.stdout, /stopped/);
        assert.match(readFileSync(logFile, 'utf8'), /received SIGTERM/);
      } finally {
        if (pid !== undefined) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* stopped */
          }
        }
      }
    },
  );
}

test('init script refuses to start without a readable configuration (LSB exit 6) or binary (5)', () => {
  const dir = mkdtempSync(join(work, 'init-bad-'));
  const defaults = join(dir, 'defaults');
  const run = (content: string) => {
    writeFileSync(defaults, content);
    return spawnSync('sh', [INIT, 'start'], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', SZTP_AGENT_DEFAULTS: defaults },
    });
  };
  assert.equal(
    run(
      `SZTP_AGENT_BIN=${bin}\nCONFIG=${join(dir, 'none.ini')}\nPIDFILE=${join(dir, 'p')}\nLOGFILE=${join(dir, 'l')}\n`,
    ).status,
    6,
  );
  assert.equal(
    run(
      `SZTP_AGENT_BIN=${join(dir, 'nobin')}\nCONFIG=${defaults}\nPIDFILE=${join(dir, 'p')}\nLOGFILE=${join(dir, 'l')}\n`,
    ).status,
    5,
  );
  assert.equal(existsSync(join(dir, 'p')), false);
});

test('library entry point: `sztp-agent/validation` from the installed tarball, in plain Node and with its types', () => {
  const app = mkdtempSync(join(work, 'consumer-'));
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(join(root, 'usr', 'local', 'lib', 'node_modules', 'sztp-agent'), join(app, 'node_modules', 'sztp-agent'));
  const demo = join(ROOT, 'fixtures', 'demo');
  const serial = readFileSync(join(demo, 'serial-number'), 'utf8').trim();
  writeFileSync(
    join(app, 'check.mjs'),
    `
import { readFileSync } from 'node:fs';
import { validateBootstrappingData, ValidationError } from 'sztp-agent/validation';
const [dir, anchorsFile, serial] = process.argv.slice(2);
const pem = readFileSync(anchorsFile, 'latin1');
const anchors = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\\s\\S]*?)-----END/g)].map((m) => new Uint8Array(Buffer.from(m[1], 'base64')));
const artifacts = { conveyedInformation: readFileSync(dir + '/conveyed-information.cms'), ownerCertificate: readFileSync(dir + '/owner-certificate.cms'), ownershipVoucher: readFileSync(dir + '/ownership-voucher.vcj') };
const ctx = (s) => ({ voucherTrustAnchors: anchors, serialNumber: s, now: new Date(), policy: { acceptedAssertions: ['verified'], clockTrusted: true } });
const ok = await validateBootstrappingData(artifacts, ctx(serial));
console.log('valid', ok.signed, ok.kind, ok.onboarding.configuration !== undefined);
try { await validateBootstrappingData(artifacts, ctx(serial + '-other')); console.log('accepted a wrong serial'); }
catch (e) { console.log('refused', e instanceof ValidationError, e.step, e.code); }
`,
  );
  const r = spawnSync(
    process.execPath,
    [join(app, 'check.mjs'), join(demo, 'usb', 'EN9'), join(demo, 'pki', 'masa-ca.crt'), serial],
    { cwd: app, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    'valid true onboarding-information true\nrefused true voucher SZTP_ERR_VOUCHER_SERIAL_MISMATCH\n',
  );
  // The types: a consumer type-checks against dist/validation/index.d.ts; a wrong type is an error.
  writeFileSync(
    join(app, 'check.ts'),
    [
      "import { validateBootstrappingData, type TrustContext, type ValidatedConveyedInformation } from 'sztp-agent/validation';",
      "const policy = { acceptedAssertions: ['verified'] as const, clockTrusted: true };",
      "export const ctx: TrustContext = { voucherTrustAnchors: [], serialNumber: 'SN1', now: new Date(), policy };",
      'export const check = (ci: Uint8Array): Promise<ValidatedConveyedInformation> => validateBootstrappingData({ conveyedInformation: ci }, ctx);',
      '// @ts-expect-error the serial number is a string',
      'export const bad: TrustContext = { voucherTrustAnchors: [], serialNumber: 1, now: new Date(), policy };',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      files: ['check.ts'],
    }),
  );
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], {
    cwd: app,
    encoding: 'utf8',
  });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});
