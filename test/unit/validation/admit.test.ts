/**
 * `admit(info, sourceTrust)` (src/validation/admit.ts): the whole table of what may be accepted
 * from a source of each trust, signed and unsigned, onboarding and redirect.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admit, type Admission, type SourceTrust } from '../../../src/validation/admit.ts';

const apply: Admission = { kind: 'apply' };
const keep: Admission = { kind: 'follow', keepTrustAnchors: true };
const discard: Admission = { kind: 'follow', keepTrustAnchors: false };
const refused = (code: string): string => code;

type Row = readonly [
  SourceTrust,
  signedOnboarding: Admission,
  unsignedOnboarding: Admission | string,
  signedRedirect: Admission,
  unsignedRedirect: Admission | string,
];

const TABLE: readonly Row[] = [
  [
    'removable-storage',
    apply,
    refused('SZTP_ERR_CONVEYED_UNSIGNED'),
    keep,
    refused('SZTP_ERR_CONVEYED_REDIRECT_NOT_ALLOWED'),
  ],
  ['dhcp', apply, refused('SZTP_ERR_SERVER_UNSIGNED_FROM_UNTRUSTED'), keep, discard],
  // RFC 8572 §4.2 (C-027, C-031): DNS is untrusted even with DNSSEC; SRV sets are unsigned redirects.
  ['dns', apply, refused('SZTP_ERR_CONVEYED_UNSIGNED'), keep, discard],
  ['configuration', apply, refused('SZTP_ERR_SERVER_UNSIGNED_FROM_UNTRUSTED'), keep, keep],
  ['provisional-server', apply, refused('SZTP_ERR_SERVER_UNSIGNED_FROM_UNTRUSTED'), keep, discard],
  ['trusted-server', apply, apply, keep, keep],
];

/** The admission, or just the code of a refusal. */
function decide(
  kind: 'onboarding-information' | 'redirect-information',
  signed: boolean,
  source: SourceTrust,
): Admission | string {
  const a = admit({ kind, signed }, source);
  if (a.kind !== 'refuse') return a;
  assert.ok(a.reason.length > 0);
  return a.code;
}

for (const [source, signedOnboarding, unsignedOnboarding, signedRedirect, unsignedRedirect] of TABLE) {
  test(`admit from ${source}: signed/unsigned onboarding, signed/unsigned redirect`, () => {
    assert.deepEqual(decide('onboarding-information', true, source), signedOnboarding);
    assert.deepEqual(decide('onboarding-information', false, source), unsignedOnboarding);
    assert.deepEqual(decide('redirect-information', true, source), signedRedirect);
    assert.deepEqual(decide('redirect-information', false, source), unsignedRedirect);
  });
}

test('the table covers every source trust', () => {
  const all: Record<SourceTrust, true> = {
    'removable-storage': true,
    dhcp: true,
    dns: true,
    configuration: true,
    'provisional-server': true,
    'trusted-server': true,
  };
  assert.deepEqual(TABLE.map(([s]) => s).sort(), Object.keys(all).sort());
});

test('unsigned onboarding information is applied only from a TLS-authenticated bootstrap server', () => {
  const sources = TABLE.map(([s]) => s).filter(
    (s) => admit({ kind: 'onboarding-information', signed: false }, s).kind === 'apply',
  );
  assert.deepEqual(sources, ['trusted-server']);
});
