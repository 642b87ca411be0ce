/**
 * `sztp-agent verify` (src/cli/verify.ts): in-process through runVerify over the openssl-made
 * fixtures (exit codes 0/1/2, --json shapes, the human explanation) and end-to-end by spawning
 * the real binary entry (node --import tsx src/cli.ts verify …).
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runVerify, type VerifyOptions } from '../../src/cli/verify.ts';
import { FIXTURES_DIR } from '../support/fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NOW = '2030-01-01T00:00:00Z';
const SERIAL = 'SN-FIXTURE-0001';

function opts(kind: string, variant: string, extra: Partial<VerifyOptions> = {}, signed = true): VerifyOptions {
  const d = join(FIXTURES_DIR, kind, variant);
  const pki = join(FIXTURES_DIR, kind, 'pki');
  return {
    conveyedInfo: join(d, 'conveyed-information.cms'),
    ...(signed ? { ownerCert: join(d, 'owner-certificate.cms'), voucher: join(d, 'ownership-voucher.vcj') } : {}),
    trustAnchors: join(pki, 'masa-ca.crt'),
    serial: SERIAL,
    now: NOW,
    ...extra,
  };
}

async function verify(o: VerifyOptions): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runVerify(o, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

describe('verify (in-process)', () => {
  for (const kind of ['rsa', 'p256', 'p384']) {
    test(`${kind}: valid signed bundle → exit 0 and the §6 JSON`, async () => {
      const r = await verify(opts(kind, 'valid', { json: true }));
      assert.equal(r.code, 0, r.out + r.err);
      const j = JSON.parse(r.out) as {
        valid: boolean;
        signed: boolean;
        kind: string;
        conveyedInformation: Record<string, { configuration?: string }>;
      };
      assert.equal(j.valid, true);
      assert.equal(j.signed, true);
      assert.equal(j.kind, 'onboarding-information');
      assert.equal(
        Buffer.from(
          j.conveyedInformation['ietf-sztp-conveyed-info:onboarding-information']?.configuration ?? '',
          'base64',
        ).toString(),
        'hostname fixture-router\ninterface eth0\n',
      );
    });
    test(`${kind}: AT-11 wrong serial → exit 1 with step and code`, async () => {
      const r = await verify(opts(kind, 'wrong-serial', { json: true }));
      assert.equal(r.code, 1);
      const j = JSON.parse(r.out) as Record<string, unknown>;
      assert.deepEqual(
        { valid: j.valid, step: j.step, code: j.code },
        { valid: false, step: 'voucher', code: 'SZTP_ERR_VOUCHER_SERIAL_MISMATCH' },
      );
      assert.equal(typeof j.message, 'string');
    });
  }
  test('AT-15 nonce: the voucher nonce must equal --nonce', async () => {
    assert.equal(
      (await verify(opts('p256', 'valid-nonce', { nonce: Buffer.from('fixture-nonce-0123456789').toString('base64') })))
        .code,
      0,
    );
    const r = await verify(opts('p256', 'valid-nonce', { json: true, nonce: Buffer.from('other').toString('base64') }));
    assert.equal((JSON.parse(r.out) as { code: string }).code, 'SZTP_ERR_VOUCHER_NONCE');
  });
  test('AT-16 without --nonce a voucher with a nonce is invalid', async () => {
    const r = await verify(opts('p256', 'valid-nonce', { json: true }));
    assert.equal(r.code, 1);
    assert.equal((JSON.parse(r.out) as { code: string }).code, 'SZTP_ERR_VOUCHER_NONCE');
  });
  test('AT-14 --clock-untrusted accepts an expired-looking voucher; without it it is expired', async () => {
    assert.equal((await verify(opts('rsa', 'clock-untrusted', { clockUntrusted: true }))).code, 0);
    // A router booting with a 1970 clock: certificates are "not yet valid" unless the clock is untrusted.
    assert.equal(
      (await verify(opts('rsa', 'clock-untrusted', { clockUntrusted: true, now: '1970-01-01T00:00:00Z' }))).code,
      0,
    );
    const r1970 = await verify(opts('rsa', 'valid', { json: true, now: '1970-01-01T00:00:00Z' }));
    assert.equal((JSON.parse(r1970.out) as { code: string }).code, 'SZTP_ERR_VOUCHER_UNTRUSTED'); // the MASA certificate is not yet valid
    const r = await verify(opts('rsa', 'clock-untrusted', { json: true }));
    assert.equal((JSON.parse(r.out) as { code: string }).code, 'SZTP_ERR_VOUCHER_EXPIRED');
  });
  test('unsigned CI is invalid without --trusted-source and valid with it', async () => {
    const r1 = await verify(opts('p256', 'unsigned-ci', { json: true }, false));
    assert.equal(r1.code, 1);
    assert.deepEqual(JSON.parse(r1.out), {
      valid: false,
      step: 'conveyed-information',
      code: 'SZTP_ERR_CONVEYED_UNSIGNED',
      message: (JSON.parse(r1.out) as { message: string }).message,
    });
    const r2 = await verify(opts('p256', 'unsigned-ci', { json: true, trustedSource: true }, false));
    assert.equal(r2.code, 0);
    assert.equal((JSON.parse(r2.out) as { signed: boolean }).signed, false);
  });
  test('AT-50 encrypted CI needs --idevid-cert/--idevid-key', async () => {
    const pki = join(FIXTURES_DIR, 'p384', 'pki');
    const noKey = await verify(opts('p384', 'enveloped-ecdh', { json: true }));
    assert.equal((JSON.parse(noKey.out) as { code: string }).code, 'SZTP_ERR_CMS_NO_DEVICE_KEY');
    const ok = await verify(
      opts('p384', 'enveloped-ecdh', {
        json: true,
        idevidCert: join(pki, 'idevid.crt'),
        idevidKey: join(pki, 'idevid.key'),
      }),
    );
    assert.equal(ok.code, 0, ok.out);
  });
  test('human output explains passed, failed and skipped checks', async () => {
    const good = await verify(opts('p256', 'valid'));
    assert.match(good.out, /^PASS {2}voucher\/signature/m);
    assert.match(good.out, /^SKIP {2}voucher\/idevid-issuer +voucher has no idevid-issuer/m);
    assert.match(good.out, /^VALID: signed onboarding-information, sha-256 [0-9a-f]{64}$/m);
    const bad = await verify(opts('p256', 'owner-ku-no-digitalsignature'));
    assert.equal(bad.code, 1);
    assert.match(bad.out, /^FAIL {2}owner-certificate\/key-usage/m);
    assert.match(bad.out, /^INVALID: step owner-certificate: SZTP_ERR_OWNER_CERT_KEY_USAGE/m);
  });
  test('usage errors → exit 2', async () => {
    assert.equal((await verify({ serial: SERIAL })).code, 2);
    assert.equal((await verify(opts('p256', 'valid', { nonce: '***' }))).code, 2);
    assert.equal((await verify(opts('p256', 'valid', { now: 'yesterday' }))).code, 2);
    assert.equal((await verify(opts('p256', 'valid', { trustAnchors: '/nonexistent/ta.pem' }))).code, 2);
    const r = await verify(opts('p256', 'valid', { serial: '' }));
    assert.equal(r.code, 2);
    assert.match(r.err, /^error SZTP_ERR_USAGE: /);
  });
});

describe('verify (spawned binary)', () => {
  const run = (args: string[]): { status: number | null; stdout: string } => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), 'verify', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout };
  };
  const flags = (variant: string): string[] => {
    const o = opts('p256', variant);
    return [
      '--conveyed-info',
      o.conveyedInfo ?? '',
      '--owner-cert',
      o.ownerCert ?? '',
      '--voucher',
      o.voucher ?? '',
      '--trust-anchors',
      o.trustAnchors ?? '',
      '--serial',
      SERIAL,
      '--now',
      NOW,
      '--json',
    ];
  };
  test('exit 0 / 1 / 2 from the real entry point', () => {
    const ok = run(flags('valid'));
    assert.equal(ok.status, 0, ok.stdout);
    assert.equal((JSON.parse(ok.stdout) as { valid: boolean }).valid, true);
    const bad = run(flags('signer-not-owner'));
    assert.equal(bad.status, 1);
    assert.equal((JSON.parse(bad.stdout) as { code: string }).code, 'SZTP_ERR_CONVEYED_SIGNER');
    assert.equal(run(['--serial', SERIAL]).status, 2);
    assert.equal(run([...flags('valid'), '--no-such-flag']).status, 2);
  });
});
