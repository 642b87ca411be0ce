/**
 * Table-driven: every fixture variant made by the openssl CLI (fixtures/generate.sh) for RSA-2048,
 * P-256 and P-384, run through the pipeline; the manifest names the expected result, step and code.
 * Titles carry the acceptance-scenario IDs (AT-xx) of docs/requirements.md.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FIXTURES_DIR, checkEntry, loadManifest } from '../../support/fixtures.ts';

/** Acceptance scenario of each variant (docs/requirements.md, "Acceptance scenarios"). */
const SCENARIOS: Readonly<Record<string, string>> = {
  'voucher-flipped-signature': 'AT-09', 'voucher-tampered-content': 'AT-09', 'untrusted-voucher-signer': 'AT-10', 'wrong-serial': 'AT-11',
  expired: 'AT-12', 'not-yet-valid': 'AT-13', 'clock-untrusted': 'AT-14', 'wrong-nonce': 'AT-15', 'valid-nonce': 'AT-15',
  'nonce-on-usb': 'AT-16', 'logged-assertion': 'AT-17', 'logged-accepted': 'AT-17', 'wrong-idevid-issuer': 'AT-18',
  'idevid-issuer-raw': 'AT-18', 'idevid-issuer-extn': 'AT-18', 'owner-not-chaining-to-pinned': 'AT-19', 'pinned-owner-self-signed': 'AT-20',
  'pinned-intermediate': 'AT-20', 'owner-ku-no-digitalsignature': 'AT-21', 'signer-not-owner': 'AT-22', 'ci-flipped-signature': 'AT-22',
  'ci-tampered-content': 'AT-22', 'revocation-required-no-crl': 'AT-23', 'revocation-required-revoked': 'AT-23',
  'revocation-required-good-crl': 'AT-23', 'revocation-false-revoked-crl': 'AT-24', 'missing-voucher': 'AT-25',
  'missing-owner-certificate': 'AT-25', 'enveloped-oaep': 'AT-50', 'enveloped-ecdh': 'AT-50', 'enveloped-all-ecdh': 'AT-50',
  'enveloped-pkcs1v15': 'AT-50', 'encrypted-to-other-device': 'AT-50', 'ber-indefinite': 'AT-51',
  'quirks-string-boolean-unprefixed': 'AT-52',
};

const manifest = loadManifest();
for (const kind of ['rsa', 'p256', 'p384'] as const) {
  describe(`fixtures ${kind}`, () => {
    const entries = manifest.variants.filter((v) => v.kind === kind);
    test('has the full variant set', () => assert.ok(entries.length >= 40, `${entries.length} variants`));
    for (const e of entries) {
      const at = SCENARIOS[e.variant];
      const title = `${at ? `${at} ` : ''}${e.variant}: ${e.expect === 'valid' ? 'accepted' : `rejected at ${e.step ?? '?'} with ${e.code ?? '?'}`}`;
      test(title, () => checkEntry(FIXTURES_DIR, manifest, e));
    }
  });
}
