/**
 * Differential tests of the trust pipeline's fast path (src/validation/fast/) against the pkijs
 * path, the parsers of record: on every fixture variant, whenever the fast path accepts, the
 * pkijs path accepts too with an identical result, so the fast path never accepts what pkijs
 * rejects; it does serve the valid bundles of every key kind. (The same property on mutated
 * artifacts is a target of test/support/fuzz.ts, run by test/unit/scripts/fuzz.test.ts and `npm run fuzz`.)
 * The fast certificate reader yields the same fields as pkijs's for every fixture certificate
 * and for mutated DER whenever it reads it at all.
 * @module
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import type { BootstrappingArtifacts, TrustContext, ValidatedConveyedInformation } from '../../../src/types.ts';
import { fastCertificate } from '../../../src/validation/fast/certificate.ts';
import { validateFast } from '../../../src/validation/fast/validate.ts';
import { DEFAULT_LIMITS } from '../../../src/validation/limits.ts';
import { validateBootstrappingData } from '../../../src/validation/pipeline.ts';
import { CheckLog } from '../../../src/validation/trace.ts';
import { parseCertificate, type ParsedCert } from '../../../src/validation/x509/certificate.ts';
import { FIXTURES_DIR, artifactsFor, contextFor, loadManifest } from '../../support/fixtures.ts';
import { mutate, mutationArb } from '../../support/fuzz.ts';

const RUNS = Number(process.env.SZTP_FUZZ_RUNS ?? 150);
const manifest = loadManifest();
const KINDS = ['rsa', 'p256', 'p384'] as const;

const fast = (a: BootstrappingArtifacts, ctx: TrustContext): ValidatedConveyedInformation | undefined =>
  validateFast(a, ctx, DEFAULT_LIMITS, createHash('sha256').update(a.conveyedInformation).digest('hex'));

/** The pkijs path (a check log keeps validateBootstrappingData off the fast path). */
async function slow(
  a: BootstrappingArtifacts,
  ctx: TrustContext,
): Promise<{ ok: true; value: ValidatedConveyedInformation } | { ok: false; code: string }> {
  try {
    return { ok: true, value: await validateBootstrappingData(a, ctx, { log: new CheckLog() }) };
  } catch (err) {
    return { ok: false, code: (err as { code?: string }).code ?? String(err) };
  }
}

/** The fast path accepts only what the pkijs path accepts, with the same result. */
async function agree(a: BootstrappingArtifacts, ctx: TrustContext, what: string): Promise<boolean> {
  const f = fast(a, ctx);
  if (f === undefined) return false;
  const s = await slow(a, ctx);
  assert.ok(s.ok, `${what}: the fast path accepted what the pkijs path rejects (${s.ok ? '' : s.code})`);
  assert.deepStrictEqual(f, s.value, `${what}: results differ`);
  return true;
}

test('fast path: every fixture variant — it accepts only what pkijs accepts, identically, and serves the valid bundles', async () => {
  const accepted: string[] = [];
  for (const e of manifest.variants) {
    if (await agree(artifactsFor(FIXTURES_DIR, e), contextFor(FIXTURES_DIR, manifest, e), `${e.kind}/${e.variant}`))
      accepted.push(`${e.kind}/${e.variant}`);
  }
  for (const k of KINDS)
    for (const v of ['valid', 'valid-nonce', 'ski-signer', 'clock-untrusted', 'redirect-signed'])
      assert.ok(accepted.includes(`${k}/${v}`), `${k}/${v} not on the fast path`);
  // Left to pkijs by design: encrypted, BER, stapled CRLs, RSASSA-PSS, several end-entity certificates.
  for (const v of [
    'enveloped-oaep',
    'ber-indefinite',
    'revocation-required-good-crl',
    'rsa-pss',
    'owner-bag-two-end-entities',
  ])
    assert.ok(!accepted.includes(`rsa/${v}`), `rsa/${v} on the fast path`);
});

const FIELDS = [
  'subject',
  'issuer',
  'serialHex',
  'serial',
  'issuerDer',
  'subjectDer',
  'notBefore',
  'notAfter',
  'keyUsage',
  'basicConstraints',
  'subjectKeyId',
  'authorityKeyId',
  'extKeyUsage',
  'subjectHasSerialNumber',
  'unknownCriticalExtensions',
] as const;

function keyOf(c: ParsedCert): string {
  try {
    return c.publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
  } catch {
    return 'no key';
  }
}

function sameFields(der: Uint8Array, what: string): boolean {
  let f;
  try {
    f = fastCertificate(der);
  } catch {
    return false;
  }
  const p = parseCertificate(der, 'voucher', what); // throws if pkijs refuses what the fast reader read
  for (const k of FIELDS) assert.deepStrictEqual(f[k], p[k], `${what}: ${k}`);
  assert.equal(keyOf(f), keyOf(p), `${what}: public key`);
  assert.deepStrictEqual(new Uint8Array(f.cert.tbsView), f.tbs, `${what}: TBS`);
  return true;
}

const certs = KINDS.flatMap((k) =>
  readdirSync(join(FIXTURES_DIR, k, 'pki'))
    .filter((n) => n.endsWith('.crt'))
    .map((n) => ({
      name: `${k}/${n}`,
      der: new Uint8Array(new X509Certificate(readFileSync(join(FIXTURES_DIR, k, 'pki', n))).raw),
    })),
);

test('fast certificate reader: the same fields as pkijs for every fixture certificate', () => {
  const read = certs.filter((c) => sameFields(c.der, c.name)).map((c) => c.name);
  for (const k of KINDS)
    for (const n of ['masa.crt', 'masa-ca.crt', 'owner.crt', 'owner-int.crt', 'owner-root.crt', 'idevid.crt'])
      assert.ok(read.includes(`${k}/${n}`), `${k}/${n} not read`);
  // owner-critical-ext carries a critical extension nobody processes: left to pkijs (which marks it invalid).
  assert.ok(!read.includes('rsa/owner-critical-ext.crt'));
});

test(`fast certificate reader: mutated DER is refused or read exactly as pkijs reads it (${RUNS} runs)`, () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: certs.length - 1 }),
      fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
      (i, ms) => {
        const c = certs[i];
        if (c !== undefined) sameFields(mutate(c.der, ms), `${c.name} mutated`);
      },
    ),
    { numRuns: RUNS * 4 },
  );
});
