/**
 * SZTPD-style boot images: only `download-uri` and `image-verification`, no os-name/os-version
 * (every SZTPD fixture looks like this), through the real CLI with a USB stick and the simulated
 * router. The running image's hash decides when the adapter reports it (`running_image_file`):
 * equal → nothing downloaded; different → download, verify, install, reboot (exit 10), then
 * complete. Without a reported hash `[Onboarding] image_without_criteria` decides (install once,
 * or skip) and the rule is logged and reported; never a silent skip.
 * @module
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeSignedBundle, onboardingJson, writeEn9, type TestPki } from '../support/pki.ts';
import { usePki } from '../support/suite-pki.ts';
import { makeDevice, type CliResult, type Device } from '../support/usb-cli.ts';

let pki: TestPki;
usePki('nocrit', (p) => (pki = p));

const NEW_IMAGE = 'vendor image 17.18.1 bits\n';
const OLD_IMAGE = 'vendor image 17.9.4 bits\n';
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The stick: the new image under images/ (unless absent) and an SZTPD-style boot image naming it by hash only. */
function stick(d: Device, withImage = true): void {
  if (withImage) {
    mkdirSync(join(d.stick, 'images'), { recursive: true });
    writeFileSync(join(d.stick, 'images', 'new.bin'), NEW_IMAGE);
  }
  writeEn9(
    d.stick,
    makeSignedBundle(
      pki,
      onboardingJson({
        configuration: 'hostname upgraded\n',
        configurationHandling: 'merge',
        bootImage: {
          'download-uri': ['file:///images/new.bin'],
          'image-verification': [
            {
              'hash-algorithm': 'ietf-sztp-conveyed-info:sha-256',
              'hash-value': sha(NEW_IMAGE).match(/../g)!.join(':'),
            },
          ],
        },
      }),
    ),
  );
}

function device(router: Record<string, string>, extra: Record<string, Record<string, string>> = {}): Device {
  return makeDevice(pki, router, extra);
}

const events = async (d: Device): Promise<{ progressType: string; message: string }[]> => (await d.status()).events;
const logs = (r: CliResult): string => r.stderr;

test('adapter reports a different running image hash: download, verify, install, reboot; after the reboot the hashes match', async () => {
  const d = device({ running_image_file: 'factory.bin' });
  try {
    writeFileSync(join(d.dir, 'factory.bin'), OLD_IMAGE);
    stick(d);
    const first = await d.run(['run', '--once']);
    assert.equal(first.code, 10, first.stderr.slice(-2000));
    const installed = JSON.parse(readFileSync(join(d.router, 'installed-image.json'), 'utf8')) as { sha256: string };
    assert.equal(installed.sha256, sha(NEW_IMAGE));
    const mismatch = (await events(d)).find((e) => e.progressType === 'boot-image-mismatch');
    assert.match(mismatch?.message ?? '', new RegExp(`sha-256 ${sha(OLD_IMAGE)}`));
    const second = await d.run(['run', '--once']);
    assert.equal(second.code, 0, second.stderr.slice(-2000));
    const complete = (await events(d)).filter((e) => e.progressType === 'boot-image-complete').at(-1);
    assert.match(complete?.message ?? '', /equals the offered image-verification after the reboot/);
    assert.equal(d.runningConfig(), 'hostname upgraded\n');
  } finally {
    d.dispose();
  }
});

test('adapter reports the same hash: nothing is downloaded (the stick has no image file), the step completes', async () => {
  const d = device({ running_image_file: 'factory.bin' });
  try {
    writeFileSync(join(d.dir, 'factory.bin'), NEW_IMAGE);
    stick(d, false);
    const r = await d.run(['run', '--once']);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.equal(existsSync(join(d.router, 'installed-image.json')), false);
    const types = (await events(d)).map((e) => e.progressType);
    assert.ok(types.includes('boot-image-complete') && !types.includes('boot-image-mismatch'), types.join(','));
    assert.match(logs(r), /running image's sha-256 equals the offered image-verification/);
  } finally {
    d.dispose();
  }
});

test("no running hash, image_without_criteria = install (default): installed once, logged; after the reboot the installed image's hash matches", async () => {
  const d = device({});
  try {
    stick(d);
    const first = await d.run(['run', '--once']);
    assert.equal(first.code, 10, first.stderr.slice(-2000));
    assert.match(logs(first), /"level":40.*image_without_criteria = install/);
    assert.ok(existsSync(join(d.router, 'installed-image.json')));
    const second = await d.run(['run', '--once']);
    assert.equal(second.code, 0, second.stderr.slice(-2000));
    // The simulated router knows the file it booted, so the hash decides now (an adapter that cannot
    // tell even then takes the installed image as running: test/unit/onboarding/plan.test.ts).
    assert.match(logs(second), /running image's sha-256 equals the offered image-verification after the reboot/);
    assert.equal(d.runningConfig(), 'hostname upgraded\n');
  } finally {
    d.dispose();
  }
});

test('no running hash, image_without_criteria = skip: not installed, but the rule is logged (warn) and reported', async () => {
  const d = device({}, { Onboarding: { script_timeout_seconds: '20', image_without_criteria: 'skip' } });
  try {
    stick(d);
    const r = await d.run(['run', '--once']);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.equal(existsSync(join(d.router, 'installed-image.json')), false);
    assert.match(logs(r), /"level":40.*not installed \(\[Onboarding\] image_without_criteria = skip\)/);
    const complete = (await events(d)).find((e) => e.progressType === 'boot-image-complete');
    assert.match(complete?.message ?? '', /image_without_criteria = skip/);
  } finally {
    d.dispose();
  }
});
