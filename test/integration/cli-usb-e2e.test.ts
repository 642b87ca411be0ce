/**
 * End to end through the real binary and every real part: an openssl-made PKI, a signed EN9
 * bundle on a "USB" directory, `run --once` with the simulated router → exit 0, the configuration
 * committed, `status` bootstrap-complete with its progress events; a second `run` exits 0
 * touching nothing; `reset` returns to factory-default.
 * @module
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeSignedBundle, makeTestPki, onboardingJson, writeEn9, ztpIni, type TestPki } from '../support/pki.ts';
import { cli, logLines } from './cli-helpers.ts';
import { makeTempDir } from '../support/temp-dir.ts';

let dir: string;
let pki: TestPki;
let ini: string;
before(() => {
  dir = makeTempDir('e2e');
  pki = makeTestPki(join(dir, 'pki'), 'p256', 'SN-E2E-1');
  const usb = join(dir, 'usb');
  mkdirSync(usb);
  writeEn9(
    usb,
    makeSignedBundle(pki, onboardingJson({ configuration: 'hostname e2e\n', configurationHandling: 'replace' })),
  );
  ini = join(dir, 'ztp.ini');
  writeFileSync(
    ini,
    ztpIni(pki, join(dir, 'state'), {
      'Fetcher Priority': { USB: '0' },
      USB: { mount_points: usb },
      Router: {
        adapter: 'simulated',
        root: join(dir, 'router'),
        os_name: 'SimOS',
        os_version: '1.0',
        hw_model: 'sim-1',
      },
    }),
  );
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('run --once applies a signed USB bundle to the simulated router and completes', async () => {
  const r = await cli(['--config', ini, 'run', '--once']);
  assert.equal(r.code, 0, r.stderr.slice(-3000));
  assert.equal(readFileSync(join(dir, 'router', 'running-config'), 'utf8'), 'hostname e2e\n');
  assert.ok(logLines(r.stderr).some((l) => l.msg === 'bootstrap complete'));
  const status = JSON.parse((await cli(['--config', ini, 'status', '--json'])).stdout) as {
    phase: string;
    source: string;
    events: { progressType: string; time: string }[];
  };
  assert.equal(status.phase, 'bootstrap-complete');
  assert.match(status.source, /EN9/);
  const types = status.events.map((e) => e.progressType);
  assert.equal(types[0], 'bootstrap-initiated');
  assert.ok(types.includes('config-complete'));
  assert.equal(types.at(-1), 'bootstrap-complete');
  for (const e of status.events) assert.match(e.time, /^\d{4}-\d\d-\d\dT/);
});

test('a second run exits 0 without touching anything; reset returns to factory-default', async () => {
  const statePath = join(dir, 'state', 'state.json');
  const before = statSync(statePath).mtimeMs;
  const again = await cli(['--config', ini, 'run']);
  assert.equal(again.code, 0);
  assert.ok(logLines(again.stderr).some((l) => l.msg === 'bootstrap already complete; nothing to do'));
  assert.equal(statSync(statePath).mtimeMs, before);
  const reset = await cli(['--config', ini, 'reset']);
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal(existsSync(join(dir, 'router', 'running-config')), false);
  const status = JSON.parse((await cli(['--config', ini, 'status', '--json'])).stdout) as { phase: string };
  assert.equal(status.phase, 'factory-default');
});

test('a boot image ends the run with exit 10 (state persisted); the next run resumes and completes', async () => {
  const box = makeTempDir('e2e-reboot');
  try {
    const usb = join(box, 'usb');
    mkdirSync(join(usb, 'images'), { recursive: true });
    const image = Buffer.from('SIMULATED-IMAGE os-name=SimOS os-version=2.0\nbits\n');
    writeFileSync(join(usb, 'images', 'sim.img'), image);
    const hash = createHash('sha256').update(image).digest('hex').match(/../g)!.join(':');
    writeEn9(
      usb,
      makeSignedBundle(
        pki,
        onboardingJson({
          configuration: 'hostname upgraded\n',
          configurationHandling: 'merge',
          bootImage: {
            'os-name': 'SimOS',
            'os-version': '2.0',
            'download-uri': ['file:///images/sim.img'],
            'image-verification': [{ 'hash-algorithm': 'ietf-sztp-conveyed-info:sha-256', 'hash-value': hash }],
          },
        }),
      ),
    );
    const file = join(box, 'ztp.ini');
    writeFileSync(
      file,
      ztpIni(pki, join(box, 'state'), {
        'Fetcher Priority': { USB: '0' },
        USB: { mount_points: usb },
        Router: {
          adapter: 'simulated',
          root: join(box, 'router'),
          os_name: 'SimOS',
          os_version: '1.0',
          hw_model: 'sim-1',
        },
      }),
    );
    const first = await cli(['--config', file, 'run', '--once']);
    assert.equal(first.code, 10, first.stderr.slice(-3000));
    const mid = JSON.parse((await cli(['--config', file, 'status', '--json'])).stdout) as {
      phase: string;
      events: { progressType: string }[];
    };
    assert.equal(mid.phase, 'rebooting');
    assert.equal(mid.events.at(-1)?.progressType, 'boot-image-installed-rebooting');
    const second = await cli(['--config', file, 'run', '--once']);
    assert.equal(second.code, 0, second.stderr.slice(-3000));
    assert.match(readFileSync(join(box, 'router', 'running-config'), 'utf8'), /hostname upgraded/);
    const done = JSON.parse((await cli(['--config', file, 'status', '--json'])).stdout) as { phase: string };
    assert.equal(done.phase, 'bootstrap-complete');
  } finally {
    rmSync(box, { recursive: true, force: true });
  }
});
