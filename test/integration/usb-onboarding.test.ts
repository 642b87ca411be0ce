/**
 * USB onboarding end to end through the real CLI (issue "Done when"): an openssl-made stick is
 * applied to the simulated router; refused sticks leave no running-config; a failing post-script
 * leaves the configuration as it was.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PROGRESS_TYPES } from '../../src/progress/progress-type.ts';
import {
  makeOwnerCertificate,
  makeSignedBundle,
  makeTestPki,
  makeVoucher,
  onboardingJson,
  signConveyedInfo,
  writeEn9,
  type Bundle,
  type TestPki,
} from '../support/pki.ts';
import { usePki } from '../support/suite-pki.ts';
import { logScript, makeDevice, type Device } from '../support/usb-cli.ts';

let pki: TestPki;
usePki('usbit-pki', (p) => (pki = p));

async function withDevice(fn: (d: Device) => Promise<void>, router: Record<string, string> = {}): Promise<void> {
  const d = makeDevice(pki, router);
  try {
    await fn(d);
  } finally {
    d.dispose();
  }
}

const CONFIG = 'hostname r1\ninterface Mgmt0\n ipv4 address 192.0.2.10/24\n';

describe('USB onboarding through the CLI', () => {
  test('openssl-made stick: exit 0, exact running-config, scripts around the commit, RFC-ordered events', async () => {
    await withDevice(async (d) => {
      writeEn9(
        d.stick,
        makeSignedBundle(
          pki,
          onboardingJson({
            preScript: logScript(d.log, 'pre'),
            configuration: CONFIG,
            configurationHandling: 'replace',
            postScript: logScript(d.log, 'post'),
          }),
        ),
      );
      const r = await d.run(['run', '--once']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(d.runningConfig(), CONFIG);
      assert.deepEqual(d.scriptLog(), ['pre 1 absent', `post 2 ${CONFIG.replaceAll('\n', '|')}`]);
      const st = await d.status();
      assert.equal(st.phase, 'bootstrap-complete');
      const types = st.events.map((e) => e.progressType);
      assert.deepEqual(types, [
        'bootstrap-initiated',
        'pre-script-initiated',
        'pre-script-complete',
        'config-initiated',
        'config-complete',
        'post-script-initiated',
        'post-script-complete',
        'bootstrap-complete',
      ]);
      const order = types.map((t) => PROGRESS_TYPES.indexOf(t as (typeof PROGRESS_TYPES)[number]));
      assert.deepEqual(
        [...order].sort((a, b) => a - b),
        order,
        'RFC order',
      );
      assert.ok(st.events.every((e) => !Number.isNaN(Date.parse(e.time))));
      // a later start does nothing
      rmSync(join(d.stick, 'EN9'), { recursive: true });
      const again = await d.run(['run', '--once']);
      assert.equal(again.code, 0);
      assert.equal(d.scriptLog().length, 2);
    });
  });

  const refusals: { name: string; code: string; stick: (p: TestPki, d: Device) => Bundle | 'unsigned' | 'redirect' }[] =
    [
      {
        name: 'tampered',
        code: 'SZTP_ERR_CONVEYED_SIGNATURE',
        stick: (p) => {
          const b = makeSignedBundle(p, onboardingJson({ configuration: CONFIG, configurationHandling: 'replace' }));
          const ci = Buffer.from(b.conveyedInformation);
          ci[ci.indexOf('replace')] = 'R'.charCodeAt(0);
          return { ...b, conveyedInformation: ci };
        },
      },
      {
        name: 'wrongly signed',
        code: 'SZTP_ERR_CONVEYED_SIGNER',
        stick: (p, d) => {
          const intruder = makeTestPki(join(d.dir, 'intruder'), 'p256', p.serial);
          return {
            conveyedInformation: signConveyedInfo(
              intruder,
              onboardingJson({ configuration: CONFIG, configurationHandling: 'replace' }),
            ),
            ownerCertificate: makeOwnerCertificate(p),
            ownershipVoucher: makeVoucher(p),
          };
        },
      },
      {
        name: 'wrong serial',
        code: 'SZTP_ERR_VOUCHER_SERIAL_MISMATCH',
        stick: (p) =>
          makeSignedBundle(p, onboardingJson({ configuration: CONFIG, configurationHandling: 'replace' }), {
            serial: 'SN-NOT-ME',
          }),
      },
      {
        name: 'expired',
        code: 'SZTP_ERR_VOUCHER_EXPIRED',
        stick: (p) =>
          makeSignedBundle(p, onboardingJson({ configuration: CONFIG, configurationHandling: 'replace' }), {
            expiresOn: '2021-01-01T00:00:00Z',
          }),
      },
      { name: 'unsigned', code: 'SZTP_ERR_CONVEYED_UNSIGNED', stick: () => 'unsigned' },
      {
        name: 'redirect-only (unsigned redirect)',
        code: 'SZTP_ERR_CONVEYED_REDIRECT_NOT_ALLOWED',
        stick: () => 'redirect',
      },
    ];
  for (const { name, code, stick } of refusals) {
    test(`${name} stick is refused with its code and leaves no running-config`, async () => {
      await withDevice(async (d) => {
        const s = stick(pki, d);
        if (s === 'unsigned' || s === 'redirect') {
          mkdirSync(join(d.stick, 'EN9'));
          const json =
            s === 'unsigned'
              ? onboardingJson({ configuration: CONFIG, configurationHandling: 'replace' })
              : {
                  'ietf-sztp-conveyed-info:redirect-information': {
                    'bootstrap-server': [{ address: '127.0.0.1', port: 9 }],
                  },
                };
          writeFileSync(join(d.stick, 'EN9', 'conveyed-information.cms'), unsignedCi(json));
        } else {
          writeEn9(d.stick, s);
        }
        const r = await d.run(['run', '--once']);
        assert.equal(r.code, 1, r.stderr);
        const st = await d.status();
        const usbFailure = r.stderr
          .split('\n')
          .filter((l) => l.includes('"fetcher":"USB"') && l.includes('"code"'))
          .map((l) => (JSON.parse(l) as { code: string }).code);
        const seen = [st.lastError?.code, ...usbFailure];
        assert.ok(seen.includes(code), `expected ${code}, saw ${seen.join(', ')}`);
        assert.equal(d.runningConfig(), undefined);
        assert.notEqual(st.phase, 'bootstrap-complete');
      });
    });
  }

  test('a failing post-script leaves the configuration as it was before the attempt', async () => {
    await withDevice(async (d) => {
      mkdirSync(d.router, { recursive: true });
      writeFileSync(join(d.router, 'running-config'), 'hostname old\n');
      writeEn9(
        d.stick,
        makeSignedBundle(
          pki,
          onboardingJson({
            configuration: CONFIG,
            configurationHandling: 'merge',
            postScript: logScript(d.log, 'post', 'echo broken >&2', 2),
          }),
        ),
      );
      const r = await d.run(['run', '--once']);
      assert.equal(r.code, 1);
      assert.deepEqual(
        d.scriptLog(),
        [`post 1 hostname old|${CONFIG.replaceAll('\n', '|')}`],
        'the post-script ran with the new configuration active',
      );
      assert.equal(d.runningConfig(), 'hostname old\n');
      const st = await d.status();
      assert.equal(st.lastError?.code !== undefined, true);
      const types = st.events.map((e) => e.progressType);
      assert.equal(types.at(-1), 'post-script-error');
      assert.match(st.events.at(-1)?.message ?? '', /SZTP_ERR_SCRIPT_FAILED.*broken/s);
    });
  });
});

/** DER ContentInfo { id-ct-sztpConveyedInfoJSON, [0] OCTET STRING json }: unsigned conveyed information. */
function unsignedCi(json: unknown): Buffer {
  const len = (l: number): Buffer =>
    l < 128 ? Buffer.from([l]) : l < 256 ? Buffer.from([0x81, l]) : Buffer.from([0x82, l >> 8, l & 255]);
  const tlv = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), len(body.length), body]);
  return tlv(
    0x30,
    Buffer.concat([
      Buffer.from('060b2a864886f70d010910012b', 'hex'),
      tlv(0xa0, tlv(0x04, Buffer.from(JSON.stringify(json)))),
    ]),
  );
}
