import assert from 'node:assert/strict';
import {
  cpSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AgentConfig } from '../../../src/config/types.ts';
import type { BootstrapClient, FetchContext, OnboardingSource } from '../../../src/contracts/fetch.ts';
import { createUsbFetcher } from '../../../src/fetchers/usb.ts';
import { readArtifact, resolveOnStick } from '../../../src/fetchers/usb-layout.ts';
import { MOUNT_OPTIONS, discoverRemovable } from '../../../src/fetchers/usb-mount.ts';
import type { RedirectInformation } from '../../../src/types.ts';
import { validateBootstrappingData } from '../../../src/validation/pipeline.ts';
import {
  certDer,
  makeOwnerCertificate,
  makeSignedBundle,
  makeTestPki,
  makeVoucher,
  onboardingJson,
  signConveyedInfo,
  writeEn9,
  type Bundle,
  type TestPki,
} from '../../support/pki.ts';
import { silentLog, testConfig } from '../../support/onboarding-env.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

let dir: string;
let pki: TestPki;
let good: Bundle;
const doc = onboardingJson({ configuration: 'hostname usb\n', configurationHandling: 'replace' });

before(() => {
  dir = makeTempDir('usb');
  pki = makeTestPki(join(dir, 'pki'), 'p256', 'SN-USB-1');
  good = makeSignedBundle(pki, doc);
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function stick(): string {
  n += 1;
  const p = join(dir, `stick${n}`);
  mkdirSync(p, { recursive: true });
  return p;
}

/** DER ContentInfo { id-ct-sztpConveyedInfoJSON, [0] OCTET STRING json }: unsigned conveyed information. */
function unsignedCi(json: unknown): Buffer {
  const len = (l: number): Buffer =>
    l < 128 ? Buffer.from([l]) : l < 256 ? Buffer.from([0x81, l]) : Buffer.from([0x82, l >> 8, l & 255]);
  const tlv = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), len(body.length), body]);
  const oid = Buffer.from('060b2a864886f70d0109100' + '12b', 'hex');
  return tlv(0x30, Buffer.concat([oid, tlv(0xa0, tlv(0x04, Buffer.from(JSON.stringify(json))))]));
}

interface Harness {
  ctx: FetchContext;
  redirects: { redirect: RedirectInformation; trusted: boolean }[];
}

function harness(mountPoints: string[], usb: Partial<AgentConfig['usb']> = {}): Harness {
  const base = testConfig(dir);
  const redirects: Harness['redirects'] = [];
  const bootstrap: BootstrapClient = {
    followRedirect: (redirect, trusted, _ctx, origin) => {
      redirects.push({ redirect, trusted });
      return Promise.resolve({
        fetcher: origin.fetcher,
        description: 'redirected',
        info: {} as OnboardingSource['info'],
        reporter: { report: () => Promise.resolve() },
        trustedServer: true,
      });
    },
  };
  const ctx: FetchContext = {
    config: { ...base, usb: { ...base.usb, mountPoints, ...usb } },
    log: silentLog,
    signal: new AbortController().signal,
    identity: { serialNumber: pki.serial, hwModel: 'm', osName: 'o', osVersion: 'v' },
    bootstrapTrustAnchors: [],
    trustContext: (nonce) => ({
      voucherTrustAnchors: [certDer(pki.masaCa.cert)],
      serialNumber: pki.serial,
      now: new Date(),
      policy: { acceptedAssertions: ['verified'], clockTrusted: true },
      ...(nonce === undefined ? {} : { nonce }),
    }),
    validate: validateBootstrappingData,
    bootstrap,
    now: () => new Date(),
  };
  return { ctx, redirects };
}

async function refused(mountPoints: string[], code: string): Promise<void> {
  await assert.rejects(
    createUsbFetcher().fetch(harness(mountPoints).ctx),
    (err: { code?: string; message?: string }) => {
      assert.equal(err.code, code, err.message);
      return true;
    },
  );
}

describe('USB fetcher: layouts', () => {
  test('seed layout EN9/{ci, oc, ov.vcj}: signed onboarding information, no reporter, file:// inside the stick', async () => {
    const s = stick();
    writeEn9(s, good);
    const src = await createUsbFetcher().fetch(harness([join(dir, 'absent'), s]).ctx);
    assert.equal(src.fetcher, 'USB');
    assert.equal(src.info.kind, 'onboarding-information');
    assert.equal(src.info.signed, true);
    assert.equal(Buffer.from(src.info.onboarding.configuration ?? []).toString(), 'hostname usb\n');
    assert.equal(src.trustedServer, false);
    assert.equal(src.resolveLocalUri?.('file:///disk2:/images/x.bin'), join(s, 'images', 'x.bin'));
    assert.equal(src.resolveLocalUri?.('file:///images/x.bin'), join(s, 'images', 'x.bin'));
    await src.release?.();
  });

  test('ownership-voucher.cms is accepted as the voucher name', async () => {
    const s = stick();
    const en9 = writeEn9(s, good);
    renameSync(join(en9, 'ownership-voucher.vcj'), join(en9, 'ownership-voucher.cms'));
    assert.equal((await createUsbFetcher().fetch(harness([s]).ctx)).info.signed, true);
  });

  test("Cisco layout EN9/<serial>/bootstrapping-data: this device's serial wins", async () => {
    const s = stick();
    writeEn9(s, makeSignedBundle(pki, onboardingJson({ configuration: 'flat\n', configurationHandling: 'merge' })));
    const other = makeSignedBundle(pki, onboardingJson({ configuration: 'other\n', configurationHandling: 'merge' }), {
      serial: 'SN-OTHER',
    });
    writeEn9(join(s, 'EN9', 'SN-OTHER', 'bootstrapping-data', '..'), other);
    const mine = makeSignedBundle(pki, onboardingJson({ configuration: 'mine\n', configurationHandling: 'merge' }));
    const d = join(s, 'EN9', pki.serial, 'bootstrapping-data');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'conveyed-information.cms'), mine.conveyedInformation);
    writeFileSync(join(d, 'owner-certificate.cms'), mine.ownerCertificate);
    writeFileSync(join(d, 'ownership-voucher.vcj'), mine.ownershipVoucher);
    const src = await createUsbFetcher().fetch(harness([s]).ctx);
    assert.equal(Buffer.from(src.info.onboarding.configuration ?? []).toString(), 'mine\n');
    assert.match(src.description, /SN-USB-1\/bootstrapping-data$/);
  });

  test('a failing stick does not hide a good one on a later mount point', async () => {
    const bad = stick();
    mkdirSync(join(bad, 'EN9'));
    const ok = stick();
    writeEn9(ok, good);
    assert.equal((await createUsbFetcher().fetch(harness([bad, ok]).ctx)).info.signed, true);
  });
});

describe('USB fetcher: refusals', () => {
  test('no EN9 anywhere: SZTP_ERR_USB_NOT_FOUND', async () => {
    await refused([stick(), join(dir, 'nope')], 'SZTP_ERR_USB_NOT_FOUND');
    await refused([], 'SZTP_ERR_USB_NOT_FOUND');
  });

  test('missing artifacts: SZTP_ERR_USB_ARTIFACT_MISSING', async () => {
    const s1 = stick();
    mkdirSync(join(s1, 'EN9'));
    await refused([s1], 'SZTP_ERR_USB_ARTIFACT_MISSING');
    const s2 = stick();
    rmSync(join(writeEn9(s2, good), 'ownership-voucher.vcj'));
    await refused([s2], 'SZTP_ERR_USB_ARTIFACT_MISSING');
  });

  test('unsigned onboarding information: SZTP_ERR_CONVEYED_UNSIGNED', async () => {
    const s = stick();
    mkdirSync(join(s, 'EN9'));
    writeFileSync(join(s, 'EN9', 'conveyed-information.cms'), unsignedCi(doc));
    await refused([s], 'SZTP_ERR_CONVEYED_UNSIGNED');
  });

  test('unsigned redirect information: SZTP_ERR_CONVEYED_REDIRECT_NOT_ALLOWED', async () => {
    const s = stick();
    mkdirSync(join(s, 'EN9'));
    writeFileSync(
      join(s, 'EN9', 'conveyed-information.cms'),
      unsignedCi({
        'ietf-sztp-conveyed-info:redirect-information': { 'bootstrap-server': [{ address: '192.0.2.1' }] },
      }),
    );
    await refused([s], 'SZTP_ERR_CONVEYED_REDIRECT_NOT_ALLOWED');
  });

  test('signed redirect information is followed as trusted', async () => {
    const s = stick();
    writeEn9(
      s,
      makeSignedBundle(pki, {
        'ietf-sztp-conveyed-info:redirect-information': { 'bootstrap-server': [{ address: '192.0.2.1', port: 8443 }] },
      }),
    );
    const h = harness([s]);
    const src = await createUsbFetcher().fetch(h.ctx);
    assert.equal(src.description, 'redirected');
    assert.equal(h.redirects.length, 1);
    assert.equal(h.redirects[0]?.trusted, true);
    assert.equal(h.redirects[0]?.redirect.bootstrapServers[0]?.port, 8443);
  });

  test('a voucher with a nonce is rejected (no nonce was sent)', async () => {
    const s = stick();
    writeEn9(s, makeSignedBundle(pki, doc, { nonce: Buffer.from('0123456789abcdef').toString('base64') }));
    await refused([s], 'SZTP_ERR_VOUCHER_NONCE');
  });

  test('wrong serial, expired voucher, tampered and wrongly signed conveyed information', async () => {
    const s1 = stick();
    writeEn9(s1, makeSignedBundle(pki, doc, { serial: 'SN-SOMEONE-ELSE' }));
    await refused([s1], 'SZTP_ERR_VOUCHER_SERIAL_MISMATCH');
    const s2 = stick();
    writeEn9(s2, makeSignedBundle(pki, doc, { expiresOn: '2020-01-01T00:00:00Z' }));
    await refused([s2], 'SZTP_ERR_VOUCHER_EXPIRED');
    const s3 = stick();
    const tampered = Buffer.from(good.conveyedInformation);
    const at = tampered.indexOf('replace');
    assert.ok(at > 0);
    tampered[at] = 'R'.charCodeAt(0);
    writeEn9(s3, { ...good, conveyedInformation: tampered });
    await refused([s3], 'SZTP_ERR_CONVEYED_SIGNATURE');
    const s4 = stick();
    const intruder = makeTestPki(join(dir, 'pki-intruder'), 'p256', pki.serial);
    writeEn9(s4, {
      conveyedInformation: signConveyedInfo(intruder, doc),
      ownerCertificate: makeOwnerCertificate(pki),
      ownershipVoucher: makeVoucher(pki),
    });
    await refused([s4], 'SZTP_ERR_CONVEYED_SIGNER');
  });

  test('symlinks leaving the stick are refused', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'ci.cms'), good.conveyedInformation);
    const s1 = stick();
    const en9 = writeEn9(s1, good);
    rmSync(join(en9, 'conveyed-information.cms'));
    symlinkSync(join(outside, 'ci.cms'), join(en9, 'conveyed-information.cms'));
    await refused([s1], 'SZTP_ERR_USB_UNSAFE_PATH');
    const s2 = stick();
    writeEn9(outside, good);
    symlinkSync(join(outside, 'EN9'), join(s2, 'EN9'));
    await refused([s2], 'SZTP_ERR_USB_UNSAFE_PATH');
    // a symlink that stays on the stick is fine
    const s3 = stick();
    const real = writeEn9(join(s3, 'real'), good);
    symlinkSync(real, join(s3, 'EN9'));
    assert.equal((await createUsbFetcher().fetch(harness([s3]).ctx)).info.signed, true);
  });

  test('oversized artifacts and non-regular files are refused', async () => {
    const s = stick();
    const en9 = writeEn9(s, good);
    truncateSync(join(en9, 'owner-certificate.cms'), 17 * 1024 * 1024);
    await refused([s], 'SZTP_ERR_USB_UNSAFE_PATH');
    await assert.rejects(readArtifact({ root: s, dir: en9, layout: 'flat' }, 'conveyed-information.cms', 10), {
      code: 'SZTP_ERR_USB_UNSAFE_PATH',
    });
    const s2 = stick();
    mkdirSync(join(s2, 'EN9', 'conveyed-information.cms'), { recursive: true });
    await refused([s2], 'SZTP_ERR_USB_UNSAFE_PATH');
  });
});

describe('resolveOnStick', () => {
  test('maps diskN: prefixes and plain paths; never leaves the stick', () => {
    const s = stick();
    mkdirSync(join(s, 'images'));
    writeFileSync(join(s, 'images', 'a.bin'), 'x');
    symlinkSync('/etc/passwd', join(s, 'images', 'evil.bin'));
    const cases: [string, string | undefined][] = [
      ['file:///disk2:/images/a.bin', join(s, 'images', 'a.bin')],
      ['file:///disk3:/images/a.bin', join(s, 'images', 'a.bin')],
      ['file:///harddisk:/images/a.bin', join(s, 'images', 'a.bin')],
      ['file:///images/a.bin', join(s, 'images', 'a.bin')],
      ['file://localhost/images/a.bin', join(s, 'images', 'a.bin')],
      ['file:///images/missing.bin', join(s, 'images', 'missing.bin')],
      // dot segments are resolved by the URL parser: they stay below the stick's root
      ['file:///images/%2e%2e/%2e%2e/etc/passwd', join(s, 'etc', 'passwd')],
      ['file:///disk2:/../../etc/passwd', join(s, 'etc', 'passwd')],
      ['file:///images/%2fetc', join(s, 'images', 'etc')],
      ['file:///images/evil.bin', undefined],
      ['file://otherhost/images/a.bin', undefined],
      ['https://192.0.2.1/images/a.bin', undefined],
      ['file:///', undefined],
      [`file:///${'a'.repeat(2000)}`, undefined],
      ['not a uri', undefined],
    ];
    for (const [uri, want] of cases) assert.equal(resolveOnStick(s, uri), want, uri);
  });
});

describe('auto-mount', () => {
  function fakeSys(): string {
    const sys = join(dir, `sys${++n}`);
    const blk = (name: string, removable: string, size = '1000', parts: string[] = []): void => {
      mkdirSync(join(sys, 'block', name), { recursive: true });
      writeFileSync(join(sys, 'block', name, 'removable'), `${removable}\n`);
      writeFileSync(join(sys, 'block', name, 'size'), `${size}\n`);
      parts.forEach((p, i) => {
        mkdirSync(join(sys, 'block', name, p));
        writeFileSync(join(sys, 'block', name, p, 'partition'), `${i + 1}\n`);
      });
      mkdirSync(join(sys, 'block', name, 'queue'), { recursive: true });
    };
    blk('sda', '0', '1000', ['sda1']);
    blk('sdb', '1', '1000', ['sdb2', 'sdb1']);
    blk('sdc', '1', '0');
    blk('sdd', '1');
    return sys;
  }

  test('discovers removable disks with a medium and their first partition', async () => {
    assert.deepEqual(await discoverRemovable(fakeSys(), '/dev'), [
      { disk: 'sdb', partition: 'sdb1', devPath: '/dev/sdb1' },
      { disk: 'sdd', partition: 'sdd', devPath: '/dev/sdd' },
    ]);
    assert.deepEqual(await discoverRemovable(join(dir, 'no-sys')), []);
  });

  test('mounts read-only under a private directory, fetches, unmounts on release', async () => {
    const content = stick();
    writeEn9(content, good);
    const calls: string[][] = [];
    const mountBase = join(dir, `mnt${++n}`);
    mkdirSync(mountBase);
    const run = (file: string, args: readonly string[]): Promise<void> => {
      calls.push([file, ...args]);
      if (file === 'mount' && args.includes('/dev/sdb1'))
        cpSync(content, args[args.length - 1] ?? '', { recursive: true });
      if (file === 'mount' && args.includes('/dev/sdd')) return Promise.reject(new Error('wrong fs type'));
      if (file === 'umount') rmSync(join(args[0] ?? '', 'EN9'), { recursive: true });
      return Promise.resolve();
    };
    const src = await createUsbFetcher({ sysRoot: fakeSys(), devRoot: '/dev', run, mountBase }).fetch(
      harness([], { autoMount: true }).ctx,
    );
    assert.equal(src.info.signed, true);
    const mount = calls.find((c) => c.includes('/dev/sdb1'));
    assert.deepEqual(mount?.slice(0, 4), ['mount', '-o', MOUNT_OPTIONS, '/dev/sdb1']);
    assert.equal(calls.filter((c) => c[0] === 'umount').length, 0, 'still mounted while onboarding runs');
    await src.release?.();
    assert.deepEqual(
      calls.filter((c) => c[0] === 'umount').map((c) => c[1]),
      [mount?.[4]],
    );
    assert.deepEqual(readdirSync(mountBase), [], 'private mount directory removed');
    assert.equal(existsSync(mount?.[4] ?? '/'), false);
  });

  test('auto-mount off: nothing is discovered or mounted', async () => {
    const calls: string[][] = [];
    const run = (file: string, args: readonly string[]): Promise<void> => {
      calls.push([file, ...args]);
      return Promise.resolve();
    };
    await assert.rejects(createUsbFetcher({ sysRoot: fakeSys(), run }).fetch(harness([]).ctx), {
      code: 'SZTP_ERR_USB_NOT_FOUND',
    });
    assert.deepEqual(calls, []);
  });
});
