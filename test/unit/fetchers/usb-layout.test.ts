import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isInside, locateBundle, readBundle } from '../../../src/fetchers/usb-layout.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

let dir: string;
before(() => {
  dir = makeTempDir('layout');
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('usb layout', () => {
  test('isInside compares whole path components', () => {
    assert.equal(isInside('/media/usb0', '/media/usb0/EN9'), true);
    assert.equal(isInside('/media/usb0', '/media/usb0'), true);
    assert.equal(isInside('/media/usb0', '/media/usb01/EN9'), false);
    assert.equal(isInside('/', '/etc'), true);
  });

  test('per-serial directory wins; unsafe serials never become path components', async () => {
    const s = join(dir, 's1');
    mkdirSync(join(s, 'EN9', 'SN1', 'bootstrapping-data'), { recursive: true });
    mkdirSync(join(s, 'EN9', '..x', 'bootstrapping-data'), { recursive: true });
    assert.equal((await locateBundle(s, 'SN1'))?.layout, 'per-serial');
    assert.equal((await locateBundle(s, 'SN2'))?.layout, 'flat');
    assert.equal((await locateBundle(s, '../EN9/SN1'))?.layout, 'flat');
    assert.equal((await locateBundle(s, '..x'))?.layout, 'flat');
    assert.equal(await locateBundle(join(dir, 'absent'), 'SN1'), undefined);
  });

  test('EN9 that is a file is not a bundle', async () => {
    const s = join(dir, 's2');
    mkdirSync(s);
    writeFileSync(join(s, 'EN9'), 'x');
    assert.equal(await locateBundle(s, 'SN1'), undefined);
  });

  test('owner certificate and voucher come together; .vcj preferred over .cms', async () => {
    const s = join(dir, 's3');
    mkdirSync(join(s, 'EN9'), { recursive: true });
    writeFileSync(join(s, 'EN9', 'conveyed-information.cms'), 'ci');
    const loc = await locateBundle(s, 'SN1');
    assert.ok(loc);
    assert.deepEqual(Object.keys(await readBundle(loc)), ['conveyedInformation']);
    writeFileSync(join(s, 'EN9', 'owner-certificate.cms'), 'oc');
    await assert.rejects(readBundle(loc), { code: 'SZTP_ERR_USB_ARTIFACT_MISSING' });
    writeFileSync(join(s, 'EN9', 'ownership-voucher.cms'), 'ov-cms');
    writeFileSync(join(s, 'EN9', 'ownership-voucher.vcj'), 'ov-vcj');
    assert.equal(Buffer.from((await readBundle(loc)).ownershipVoucher ?? []).toString(), 'ov-vcj');
  });
});
