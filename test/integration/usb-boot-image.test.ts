/**
 * Boot-image paths through the real CLI with a USB stick (RFC 8572 §5.6 step 3, AT-40..AT-44,
 * T-22): match (skip), mismatch with a good hash (install, exit 10, resume, complete), bad hash,
 * mirror fallback (http 404, missing file://, then the stick), reboot-loop guard.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeSignedBundle, makeTestPki, onboardingJson, writeEn9, type TestPki } from '../support/pki.ts';
import { logScript, makeDevice, type CliResult, type Device } from '../support/usb-cli.ts';
import { makeTempDir } from '../support/temp-dir.ts';

let pkiDir: string;
let pki: TestPki;
let server: Server;
let port = 0;
const requests: string[] = [];

before(async () => {
  pkiDir = makeTempDir('usbimg-pki');
  pki = makeTestPki(pkiDir);
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.statusCode = 404;
    res.end('not here');
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  rmSync(pkiDir, { recursive: true, force: true });
  await new Promise((res) => server.close(res));
});

const colonHex = (b: Buffer): string => b.toString('hex').match(/../g)?.join(':') ?? '';

function stickImage(d: Device, name: string, content: string): string {
  mkdirSync(join(d.stick, 'images'), { recursive: true });
  writeFileSync(join(d.stick, 'images', name), content);
  return colonHex(createHash('sha256').update(content).digest());
}

function bootImage(version: string, uris: string[], hash: string): Record<string, unknown> {
  return {
    'os-name': 'SimOS',
    'os-version': version,
    'download-uri': uris,
    'image-verification': [{ 'hash-algorithm': 'ietf-sztp-conveyed-info:sha-256', 'hash-value': hash }],
  };
}

async function withDevice(fn: (d: Device) => Promise<void>): Promise<void> {
  const d = makeDevice(pki);
  try {
    await fn(d);
  } finally {
    d.dispose();
  }
}

function codes(r: CliResult): string[] {
  return r.stderr
    .split('\n')
    .filter((l) => l.includes('"code"'))
    .map((l) => (JSON.parse(l) as { code: string }).code);
}

const installed = (d: Device): boolean => existsSync(join(d.router, 'installed-image.json'));
const running = (d: Device): { osVersion?: string } | undefined =>
  existsSync(join(d.router, 'running-image.json'))
    ? (JSON.parse(readFileSync(join(d.router, 'running-image.json'), 'utf8')) as { osVersion?: string })
    : undefined;

describe('boot image from a USB stick through the CLI', () => {
  test('running version matches: skipped, no install', async () => {
    await withDevice(async (d) => {
      writeEn9(
        d.stick,
        makeSignedBundle(
          pki,
          onboardingJson({
            bootImage: bootImage('1.0', ['file:///disk2:/images/none.bin'], colonHex(Buffer.alloc(32))),
            configuration: 'c\n',
            configurationHandling: 'replace',
          }),
        ),
      );
      const r = await d.run(['run', '--once']);
      assert.equal(r.code, 0, r.stderr);
      const types = (await d.status()).events.map((e) => e.progressType);
      assert.deepEqual(types.slice(0, 3), ['bootstrap-initiated', 'boot-image-initiated', 'boot-image-complete']);
      assert.equal(installed(d), false);
      assert.equal(d.runningConfig(), 'c\n');
    });
  });

  test('mismatch with a good hash: install, exit 10, resume after the reboot, complete', async () => {
    await withDevice(async (d) => {
      const hash = stickImage(d, 'simos-2.0.bin', 'image 2.0 bytes');
      writeEn9(
        d.stick,
        makeSignedBundle(
          pki,
          onboardingJson({
            bootImage: bootImage('2.0', ['file:///disk2:/images/simos-2.0.bin'], hash),
            preScript: logScript(d.log, 'pre'),
            configuration: 'c\n',
            configurationHandling: 'replace',
          }),
        ),
      );
      const first = await d.run(['run', '--once']);
      assert.equal(first.code, 10, first.stderr);
      assert.ok(installed(d));
      let st = await d.status();
      assert.equal(st.phase, 'rebooting');
      assert.deepEqual(
        st.events.map((e) => e.progressType),
        ['bootstrap-initiated', 'boot-image-initiated', 'boot-image-mismatch', 'boot-image-installed-rebooting'],
      );
      assert.deepEqual(d.scriptLog(), []);
      const second = await d.run(['run', '--once']);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(running(d)?.osVersion, '2.0');
      st = await d.status();
      assert.equal(st.phase, 'bootstrap-complete');
      assert.deepEqual(
        st.events.slice(4).map((e) => e.progressType),
        [
          'bootstrap-initiated',
          'boot-image-initiated',
          'boot-image-complete',
          'pre-script-initiated',
          'pre-script-complete',
          'config-initiated',
          'config-complete',
          'bootstrap-complete',
        ],
      );
      assert.deepEqual(d.scriptLog(), ['pre 1 absent']);
      assert.equal(d.runningConfig(), 'c\n');
    });
  });

  test('bad hash: boot-image-error, nothing installed, no configuration', async () => {
    await withDevice(async (d) => {
      stickImage(d, 'evil.bin', 'not the image you want');
      writeEn9(
        d.stick,
        makeSignedBundle(
          pki,
          onboardingJson({
            bootImage: bootImage(
              '2.0',
              ['file:///disk2:/images/evil.bin'],
              colonHex(createHash('sha256').update('the real image').digest()),
            ),
            configuration: 'c\n',
            configurationHandling: 'replace',
          }),
        ),
      );
      const r = await d.run(['run', '--once']);
      assert.equal(r.code, 1);
      assert.ok(
        codes(r).includes('SZTP_ERR_BOOT_IMAGE_HASH') ||
          (await d.status()).lastError?.code === 'SZTP_ERR_BOOT_IMAGE_HASH',
        codes(r).join(','),
      );
      assert.equal(installed(d), false);
      assert.equal(d.runningConfig(), undefined);
      assert.equal((await d.status()).events.at(-1)?.progressType, 'boot-image-error');
    });
  });

  test('mirror fallback: http 404 and a missing file:// mirror, then the copy on the stick', async () => {
    await withDevice(async (d) => {
      const hash = stickImage(d, 'simos-2.0.bin', 'image 2.0 mirror');
      requests.length = 0;
      writeEn9(
        d.stick,
        makeSignedBundle(
          pki,
          onboardingJson({
            bootImage: bootImage(
              '2.0',
              [
                `http://127.0.0.1:${port}/missing.bin`,
                'file:///disk2:/images/missing.bin',
                'file:///disk3:/images/simos-2.0.bin',
              ],
              hash,
            ),
          }),
        ),
      );
      const r = await d.run(['run', '--once']);
      assert.equal(r.code, 10, r.stderr);
      assert.ok(installed(d));
      assert.deepEqual(requests, ['/missing.bin'], 'only the listed URI was contacted');
    });
  });

  test('reboot-loop guard: still mismatched after the reboot → boot-image-error, never reinstalled', async () => {
    await withDevice(async (d) => {
      // This image boots as 1.5 although the onboarding information says 2.0 (vendor version formatting).
      const hash = stickImage(d, 'liar.bin', 'SIMULATED-IMAGE os-name=SimOS os-version=1.5\n');
      writeEn9(
        d.stick,
        makeSignedBundle(
          pki,
          onboardingJson({
            bootImage: bootImage('2.0', ['file:///images/liar.bin'], hash),
            configuration: 'c\n',
            configurationHandling: 'replace',
          }),
        ),
      );
      assert.equal((await d.run(['run', '--once'])).code, 10);
      const second = await d.run(['run', '--once']);
      assert.equal(second.code, 1);
      assert.equal(running(d)?.osVersion, '1.5');
      const st = await d.status();
      assert.equal(st.events.at(-1)?.progressType, 'boot-image-error');
      assert.match(st.events.at(-1)?.message ?? '', /SZTP_ERR_BOOT_IMAGE_REBOOT_LOOP/);
      const third = await d.run(['run', '--once']);
      assert.equal(third.code, 1);
      assert.equal(installed(d), false, 'not installed again');
      assert.equal(
        (await d.status()).events.filter((e) => e.progressType === 'boot-image-installed-rebooting').length,
        1,
      );
      assert.equal(d.runningConfig(), undefined);
    });
  });
});
