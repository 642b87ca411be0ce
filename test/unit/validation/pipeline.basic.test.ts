/**
 * Positive paths of the trust pipeline on a PKI made at test time by the openssl CLI
 * (test/support/pki.ts): signed onboarding JSON, unsigned JSON, signed redirect.
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { validateBootstrappingData } from '../../../src/validation/pipeline.ts';
import type { TrustContext } from '../../../src/types.ts';
import { certDer, makeSignedBundle, makeTestPki, onboardingJson, openssl, type KeyKind } from '../../support/pki.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function ctxFor(pki: ReturnType<typeof makeTestPki>): TrustContext {
  const key = openssl(['pkey', '-in', pki.device.key, '-outform', 'DER']);
  return {
    voucherTrustAnchors: [certDer(pki.masaCa.cert)],
    serialNumber: pki.serial,
    device: { certificate: certDer(pki.device.cert), chain: [], privateKeyPkcs8: key },
    now: new Date('2030-01-01T00:00:00Z'),
    policy: { acceptedAssertions: ['verified'], clockTrusted: true },
  };
}

for (const kind of ['p256', 'rsa'] as KeyKind[]) {
  describe(`pipeline basics (${kind})`, () => {
    const dir = makeTempDir('val');
    dirs.push(dir);
    const pki = makeTestPki(dir, kind);
    const doc = onboardingJson({
      configuration: 'hostname r1',
      configurationHandling: 'merge',
      preScript: '#!/bin/sh\n',
    });

    test('signed onboarding information validates', async () => {
      const b = makeSignedBundle(pki, doc);
      const r = await validateBootstrappingData(
        {
          conveyedInformation: b.conveyedInformation,
          ownerCertificate: b.ownerCertificate,
          ownershipVoucher: b.ownershipVoucher,
        },
        ctxFor(pki),
      );
      assert.equal(r.signed, true);
      assert.equal(r.kind, 'onboarding-information');
      assert.ok(r.kind === 'onboarding-information' && r.onboarding.configurationHandling === 'merge');
      assert.ok(
        r.kind === 'onboarding-information' &&
          Buffer.from(r.onboarding.configuration ?? []).toString() === 'hostname r1',
      );
      assert.deepEqual(r.ownerCertificate, new Uint8Array(certDer(pki.owner.cert)));
      assert.match(r.digest, /^[0-9a-f]{64}$/);
    });

    test('unsigned JSON (id-data) is returned with signed=false', async () => {
      const ci = openssl(['cms', '-data_create', '-binary', '-outform', 'DER'], JSON.stringify(doc));
      const r = await validateBootstrappingData({ conveyedInformation: ci }, ctxFor(pki));
      assert.equal(r.signed, false);
      assert.equal(r.kind, 'onboarding-information');
      assert.deepEqual(r.json, doc);
    });

    test('C-002: unsigned conveyed information typed as a voucher (id-ct-animaJSONVoucher) is refused', async () => {
      const hex = Buffer.from(JSON.stringify(doc)).toString('hex');
      const conf = join(dir, `ci-voucher-type.conf`);
      writeFileSync(
        conf,
        `asn1=SEQUENCE:ci\n[ci]\ntype=OID:1.2.840.113549.1.9.16.1.40\ncontent=EXPLICIT:0,FORMAT:HEX,OCTETSTRING:${hex}\n`,
      );
      openssl(['asn1parse', '-genconf', conf, '-out', join(dir, 'ci-voucher-type.der'), '-noout']);
      const ci = readFileSync(join(dir, 'ci-voucher-type.der'));
      await assert.rejects(validateBootstrappingData({ conveyedInformation: ci }, ctxFor(pki)), {
        code: 'SZTP_ERR_CMS_CONTENT_TYPE',
        step: 'conveyed-information',
      });
    });

    test('wrong serial is rejected at step voucher', async () => {
      const b = makeSignedBundle(pki, doc, { serial: 'OTHER' });
      await assert.rejects(validateBootstrappingData({ ...b }, ctxFor(pki)), {
        code: 'SZTP_ERR_VOUCHER_SERIAL_MISMATCH',
        step: 'voucher',
      });
    });
  });
}
