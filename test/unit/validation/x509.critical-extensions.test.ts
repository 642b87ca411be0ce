/**
 * RFC 5280 §4.2 (issue 11 item 2): a certificate with a critical extension the agent does not
 * process is invalid on every path: TLS server certificate and its CA, trust anchor, pinned
 * end-entity. Certificates made with the openssl CLI (which itself rejects them). The voucher
 * signer and owner certificate cases are fixtures (voucher-signer-critical-extension,
 * owner-critical-extension).
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyChain } from '../../../src/bootstrap/tls.ts';
import { parseCertificate } from '../../../src/validation/x509/certificate.ts';
import { validatePath } from '../../../src/validation/x509/path.ts';
import { certDer, issueCert, makeCa, openssl, type CertFiles } from '../../support/pki.ts';

const UNKNOWN = '1.3.6.1.4.1.55555.7=critical,ASN1:NULL';
const SERVER_EXT = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=serverAuth',
  'subjectAltName=IP:127.0.0.1',
];
const opts = { now: new Date(Date.now() + 3_600_000), checkValidity: true, maxDepth: 8 }; // after the certificates are made
const parse = (c: CertFiles): ReturnType<typeof parseCertificate> =>
  parseCertificate(new Uint8Array(certDer(c.cert)), 'owner-certificate', c.cert);

describe('unknown critical extensions make a certificate invalid', () => {
  let dir = '';
  let ca: CertFiles;
  let good: CertFiles;
  let bad: CertFiles;
  let badCa: CertFiles;
  let underBadCa: CertFiles;
  let badRoot: CertFiles;
  let underBadRoot: CertFiles;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sztp-crit-'));
    ca = makeCa(dir, 'ca', 'p256');
    good = issueCert(dir, 'good', 'p256', ca, '/CN=good', SERVER_EXT);
    bad = issueCert(dir, 'bad', 'p256', ca, '/CN=bad', [...SERVER_EXT, UNKNOWN]);
    badCa = issueCert(dir, 'bad-ca', 'p256', ca, '/CN=bad-ca', [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign',
      UNKNOWN,
    ]);
    underBadCa = issueCert(dir, 'under-bad-ca', 'p256', badCa, '/CN=under', SERVER_EXT);
    badRoot = makeCa(dir, 'bad-root', 'p256', '/CN=bad-root', [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign',
      UNKNOWN,
    ]);
    underBadRoot = issueCert(dir, 'under-bad-root', 'p256', badRoot, '/CN=under-root', SERVER_EXT);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('openssl itself refuses the hostile leaf (the behaviour we match)', () => {
    assert.throws(
      () => openssl(['verify', '-CAfile', ca.cert, bad.cert]),
      /unsupported certificate extension|unhandled critical extension/i,
    );
    openssl(['verify', '-CAfile', ca.cert, good.cert]);
  });

  test('validatePath: leaf, intermediate, trust anchor and pinned end-entity', async () => {
    assert.ok((await validatePath(parse(good), [], [parse(ca)], opts)).ok);
    for (const [leaf, pool, anchor] of [
      [bad, [], ca],
      [underBadCa, [badCa], ca],
      [underBadRoot, [], badRoot],
      [bad, [], bad],
    ] as const) {
      const r = await validatePath(parse(leaf), pool.map(parse), [parse(anchor)], opts);
      assert.equal(
        !r.ok && r.failure.kind,
        'critical-extension',
        `${leaf.cert}: ${JSON.stringify(r.ok || r.failure.message)}`,
      );
      assert.match(!r.ok ? r.failure.message : '', /1\.3\.6\.1\.4\.1\.55555\.7/);
    }
  });

  test('TLS server chain check (untrusted clock / provisional promotion) refuses them', async () => {
    const der = (c: CertFiles): Uint8Array => new Uint8Array(certDer(c.cert));
    assert.equal(await verifyChain([der(good)], [der(ca)], '127.0.0.1'), undefined);
    assert.match((await verifyChain([der(bad)], [der(ca)], '127.0.0.1')) ?? '', /critical extension/);
    assert.match(
      (await verifyChain([der(underBadCa), der(badCa)], [der(ca)], '127.0.0.1')) ?? '',
      /critical extension/,
    );
    assert.match((await verifyChain([der(underBadRoot)], [der(badRoot)], '127.0.0.1')) ?? '', /critical extension/);
  });
});
