/**
 * docs/usb.md "Preparing a USB stick" as a test: a stick written by `sztp-agent bundle` (both
 * layouts, with a boot image on the stick) provisions the simulated router through `run`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTestPki, makeVoucher, type TestPki } from '../support/pki.ts';
import { REPO, logScript, makeDevice, runNode } from '../support/usb-cli.ts';
import { makeTempDir } from '../support/temp-dir.ts';

let pkiDir: string;
let pki: TestPki;
before(() => {
  pkiDir = makeTempDir('usbbundle-pki');
  pki = makeTestPki(pkiDir);
  writeFileSync(join(pkiDir, 'voucher.vcj'), makeVoucher(pki));
});
after(() => {
  rmSync(pkiDir, { recursive: true, force: true });
});

for (const layout of ['single', 'multi'] as const) {
  test(`bundle --layout ${layout} with a boot image on the stick: install, reboot, provision`, async () => {
    const d = makeDevice(pki);
    try {
      mkdirSync(join(d.stick, 'images'));
      writeFileSync(join(d.stick, 'images', 'os-2.0.bin'), 'the 2.0 image');
      writeFileSync(join(d.dir, 'initial.cfg'), 'hostname bundled\n');
      writeFileSync(join(d.dir, 'pre.sh'), logScript(d.log, 'pre'));
      writeFileSync(join(d.dir, 'post.sh'), logScript(d.log, 'post'));
      const bundle = await runNode([
        'bundle',
        '--out',
        d.stick,
        '--owner-key',
        pki.owner.key,
        '--owner-cert',
        pki.owner.cert,
        '--owner-chain',
        pki.ownerCa.cert,
        '--voucher',
        join(pkiDir, 'voucher.vcj'),
        '--configuration',
        join(d.dir, 'initial.cfg'),
        '--configuration-handling',
        'replace',
        '--pre-script',
        join(d.dir, 'pre.sh'),
        '--post-script',
        join(d.dir, 'post.sh'),
        '--boot-image',
        join(d.stick, 'images', 'os-2.0.bin'),
        '--os-name',
        'SimOS',
        '--os-version',
        '2.0',
        '--download-uri',
        'file:///disk2:/images/os-2.0.bin',
        '--layout',
        layout,
        ...(layout === 'multi' ? ['--serial', pki.serial] : []),
      ]).done;
      assert.equal(bundle.code, 0, bundle.stderr);
      const first = await d.run(['run', '--once']);
      assert.equal(first.code, 10, first.stderr.slice(-3000));
      const second = await d.run(['run', '--once']);
      assert.equal(second.code, 0, second.stderr.slice(-3000));
      assert.equal(d.runningConfig(), 'hostname bundled\n');
      assert.deepEqual(d.scriptLog(), ['pre 1 absent', 'post 2 hostname bundled|']);
      const st = await d.status();
      assert.match(st.events[0]?.message ?? '', layout === 'multi' ? /EN9\/SN-TEST-0001\/bootstrapping-data/ : /EN9$/);
    } finally {
      d.dispose();
    }
  });
}

describe('bundle', () => {
  for (const file of ['docs/usb.md', 'README.md']) {
    test(`every option in the ${file} bundle example exists`, async () => {
      const help = (await runNode(['bundle', '--help']).done).stdout;
      const doc = readFileSync(join(REPO, file), 'utf8');
      const example = /```sh\n[^`]*sztp-agent bundle[^`]*```/.exec(doc)?.[0] ?? '';
      const options = [...example.matchAll(/\s(--[a-z0-9-]+)/g)].map((m) => m[1] ?? '');
      assert.ok(options.length > 5, 'example found');
      for (const opt of options) assert.match(help, new RegExp(`${opt}[ ,<]`), `bundle has no ${opt}`);
    });
  }
});
