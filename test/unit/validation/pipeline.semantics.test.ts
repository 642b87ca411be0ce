/**
 * Pipeline semantics beyond the fixture table: unsigned CI with OV/OC present (C-018), an
 * idevid-issuer check without an IDevID, the check log (explain), and digest/ownerCertificate.
 * @module
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { explainChecks } from '../../../src/validation/explain.ts';
import { validateBootstrappingData, validateWithOptions } from '../../../src/validation/pipeline.ts';
import { CheckLog } from '../../../src/validation/trace.ts';
import { FIXTURES_DIR, artifactsFor, contextFor, loadManifest, pemCertDer } from '../../support/fixtures.ts';

const m = loadManifest();
const entry = (kind: string, variant: string): NonNullable<ReturnType<typeof m.variants.find>> => {
  const e = m.variants.find((v) => v.kind === kind && v.variant === variant);
  assert.ok(e, `${kind}/${variant}`);
  return e;
};

describe('pipeline semantics', () => {
  test('unsigned CI that arrives with a voucher and owner certificate is treated as unsigned (C-018)', async () => {
    const signed = artifactsFor(FIXTURES_DIR, entry('p256', 'valid'));
    const unsigned = artifactsFor(FIXTURES_DIR, entry('p256', 'unsigned-ci'));
    const r = await validateBootstrappingData(
      { ...signed, conveyedInformation: unsigned.conveyedInformation },
      contextFor(FIXTURES_DIR, m, entry('p256', 'valid')),
    );
    assert.equal(r.signed, false);
    assert.equal(r.ownerCertificate, undefined);
  });
  test('digest is the SHA-256 of the CI artifact as received; ownerCertificate is the owner EE', async () => {
    const e = entry('rsa', 'valid');
    const a = artifactsFor(FIXTURES_DIR, e);
    const r = await validateBootstrappingData(a, contextFor(FIXTURES_DIR, m, e));
    assert.equal(r.digest, createHash('sha256').update(a.conveyedInformation).digest('hex'));
    assert.deepEqual(r.ownerCertificate, pemCertDer(`${FIXTURES_DIR}/rsa/pki/owner.crt`));
  });
  test('AT-18 idevid-issuer present but no IDevID configured → rejected (fail closed)', async () => {
    const e = entry('p384', 'idevid-issuer-raw');
    const { device: _d, ...ctx } = contextFor(FIXTURES_DIR, m, e);
    await assert.rejects(validateBootstrappingData(artifactsFor(FIXTURES_DIR, e), ctx), {
      code: 'SZTP_ERR_VOUCHER_IDEVID_ISSUER',
      step: 'voucher',
    });
  });
  test('AT-16 a nonce was sent but the voucher is nonceless → accepted (nonce only checked when present)', async () => {
    const e = entry('p256', 'valid');
    const r = await validateBootstrappingData(artifactsFor(FIXTURES_DIR, e), {
      ...contextFor(FIXTURES_DIR, m, e),
      nonce: new Uint8Array(16),
    });
    assert.equal(r.signed, true);
  });
  test('the check log records passed, skipped and the failing check', async () => {
    const log = new CheckLog();
    const e = entry('p256', 'revocation-required-no-crl');
    await assert.rejects(validateWithOptions(artifactsFor(FIXTURES_DIR, e), contextFor(FIXTURES_DIR, m, e), { log }));
    const last = log.records[log.records.length - 1];
    assert.deepEqual([last?.step, last?.check, last?.status], ['owner-certificate', 'revocation', 'failed']);
    assert.ok(log.records.some((r) => r.status === 'skipped' && r.check === 'idevid-issuer'));
    assert.match(explainChecks(log.records), /^FAIL {2}owner-certificate\/revocation +revocation checks are required/m);
  });
  test('a clock-untrusted policy skips the owner certificate validity too', async () => {
    const log = new CheckLog();
    const e = entry('rsa', 'owner-cert-expired-clock-untrusted');
    await validateWithOptions(artifactsFor(FIXTURES_DIR, e), contextFor(FIXTURES_DIR, m, e), { log });
    assert.ok(log.records.some((r) => r.status === 'skipped' && r.check === 'validity'));
  });
});
