/**
 * X.509 path validation through pkijs's CertificateChainValidationEngine (src/validation/x509/path.ts):
 * the leaf-last wrapper (pkijs validates the LAST certificate and would otherwise validate an
 * intermediate), a CA:FALSE issuer, pathLenConstraint (checked on top of pkijs), duplicates of
 * the leaf in the bag, a loop of mutually certifying CAs (pkijs alone never returns), a pinned
 * end-entity, and the untrusted-clock mode (validity periods
 * ignored, every other check kept). Certificates are fixtures or made here by the openssl CLI.
 * @module
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseCertificate, type ParsedCert } from '../../../../src/validation/x509/certificate.ts';
import { validatePath } from '../../../../src/validation/x509/path.ts';
import { validateBootstrappingData } from '../../../../src/validation/pipeline.ts';
import { FIXTURES_DIR, artifactsFor, contextFor, loadManifest, pemCertDer } from '../../../support/fixtures.ts';
import { makeCa, openssl } from '../../../support/pki.ts';
import { makeTempDir } from '../../../support/temp-dir.ts';

const NOW = new Date(loadManifest().now);
const pki = join(FIXTURES_DIR, 'p256', 'pki');
const load = (path: string): ParsedCert => parseCertificate(pemCertDer(path), 'owner-certificate', path);
const fx = (name: string): ParsedCert => load(join(pki, `${name}.crt`));
const trusted = { now: NOW, checkValidity: true, maxDepth: 16 };
const untrusted = { now: NOW, checkValidity: false, maxDepth: 16 };

describe('validatePath (pkijs CertificateChainValidationEngine, leaf last)', () => {
  let dir = '';
  let badLeaf: ParsedCert; // issued by the CA:FALSE "masa" certificate
  let plRoot: ParsedCert; // pathlen:0 root
  let plInt: ParsedCert;
  let plLeaf: ParsedCert;
  before(() => {
    dir = makeTempDir('path');
    const req = (name: string): void => {
      openssl([
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, `${name}.key`),
        '-out',
        join(dir, `${name}.csr`),
        '-subj',
        `/CN=${name}`,
      ]);
    };
    let serial = 100;
    const sign = (name: string, caCrt: string, caKey: string, ext: string): void => {
      writeFileSync(join(dir, `${name}.ext`), ext);
      openssl([
        'x509',
        '-req',
        '-in',
        join(dir, `${name}.csr`),
        '-CA',
        caCrt,
        '-CAkey',
        caKey,
        '-set_serial',
        String(serial++),
        '-out',
        join(dir, `${name}.crt`),
        '-days',
        '3650',
        '-sha256',
        '-extfile',
        join(dir, `${name}.ext`),
      ]);
    };
    req('bad-leaf');
    sign(
      'bad-leaf',
      join(pki, 'masa.crt'),
      join(pki, 'masa.key'),
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n',
    );
    makeCa(dir, 'pl-root', 'p256', '/CN=pl-root', [
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    req('pl-int');
    sign(
      'pl-int',
      join(dir, 'pl-root.crt'),
      join(dir, 'pl-root.key'),
      'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n',
    );
    req('pl-leaf');
    sign(
      'pl-leaf',
      join(dir, 'pl-int.crt'),
      join(dir, 'pl-int.key'),
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n',
    );
    // Two CAs that certify each other (a loop pkijs's path builder would follow forever) and a leaf under one.
    const ec = (name: string): void => {
      openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, `${name}.key`)]);
    };
    ec('loop-a');
    ec('loop-b');
    for (const n of ['loop-a', 'loop-b'])
      openssl([
        'req',
        '-x509',
        '-key',
        join(dir, `${n}.key`),
        '-subj',
        `/CN=${n}`,
        '-days',
        '3650',
        '-out',
        join(dir, `${n}-self.crt`),
      ]);
    for (const [n, issuer] of [
      ['loop-a', 'loop-b'],
      ['loop-b', 'loop-a'],
    ] as const) {
      openssl(['req', '-new', '-key', join(dir, `${n}.key`), '-subj', `/CN=${n}`, '-out', join(dir, `${n}.csr`)]);
      sign(
        n,
        join(dir, `${issuer}-self.crt`),
        join(dir, `${issuer}.key`),
        'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n',
      );
    }
    req('loop-leaf');
    sign(
      'loop-leaf',
      join(dir, 'loop-a-self.crt'),
      join(dir, 'loop-a.key'),
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n',
    );
    // An end-entity whose issuer signed it with ECDSA-with-SHA1 (pkijs's engine verifies SHA-1 happily).
    req('sha1-leaf');
    writeFileSync(
      join(dir, 'sha1-leaf.ext'),
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n',
    );
    openssl([
      'x509',
      '-req',
      '-in',
      join(dir, 'sha1-leaf.csr'),
      '-CA',
      join(dir, 'pl-root.crt'),
      '-CAkey',
      join(dir, 'pl-root.key'),
      '-set_serial',
      '900',
      '-out',
      join(dir, 'sha1-leaf.crt'),
      '-days',
      '3650',
      '-sha1',
      '-extfile',
      join(dir, 'sha1-leaf.ext'),
    ]);
    badLeaf = load(join(dir, 'bad-leaf.crt'));
    plRoot = load(join(dir, 'pl-root.crt'));
    plInt = load(join(dir, 'pl-int.crt'));
    plLeaf = load(join(dir, 'pl-leaf.crt'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('owner → intermediate → pinned root, whatever the bag order; the path starts at the leaf', async () => {
    const owner = fx('owner');
    const int = fx('owner-int');
    for (const pool of [[owner, int], [int, owner], [int]]) {
      const r = await validatePath(owner, pool, [fx('owner-root')], trusted);
      assert.ok(r.ok, JSON.stringify(!r.ok && r.failure));
      assert.equal(r.path[0], owner);
      assert.equal(r.path.length, 2);
      assert.equal(r.anchorIsLeaf, false);
    }
  });
  test('duplicates of the leaf and of the anchor in the bag do not change which certificate is validated', async () => {
    const owner = fx('owner');
    const dup = fx('owner');
    const root = fx('owner-root');
    const r = await validatePath(owner, [dup, fx('owner-int'), owner, fx('owner-root')], [root], trusted);
    assert.ok(r.ok);
    assert.equal(r.path[0], owner);
  });
  test('a certificate issued by a CA:FALSE certificate is rejected (pkijs alone, leaf first, would validate the issuer)', async () => {
    for (const pool of [
      [badLeaf, fx('masa')],
      [fx('masa'), badLeaf],
    ]) {
      const r = await validatePath(badLeaf, pool, [fx('masa-ca')], trusted);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.failure.kind, 'constraints');
    }
  });
  test('pathLenConstraint 0 on the root rejects an intermediate below it', async () => {
    const r = await validatePath(plLeaf, [plInt], [plRoot], trusted);
    assert.equal(!r.ok && r.failure.kind, 'constraints');
    assert.match(!r.ok ? r.failure.message : '', /pathLenConstraint 0/);
    assert.ok((await validatePath(plInt, [], [plRoot], trusted)).ok);
  });
  test(
    'mutually certifying CAs in a hostile bag: path building is bounded (no hang) → no-path',
    { timeout: 20_000 },
    async () => {
      const leaf = load(join(dir, 'loop-leaf.crt'));
      const r = await validatePath(
        leaf,
        [load(join(dir, 'loop-a.crt')), load(join(dir, 'loop-b.crt'))],
        [fx('owner-root')],
        untrusted,
      );
      assert.equal(!r.ok && r.failure.kind, 'no-path');
      assert.match(!r.ok ? r.failure.message : '', /issuer look-ups/);
    },
  );
  test(
    'the same loop as an owner-certificate artifact is rejected by the pipeline with a coded error',
    { timeout: 20_000 },
    async () => {
      const e = loadManifest().variants.find((v) => v.kind === 'p256' && v.variant === 'valid');
      assert.ok(e);
      const oc = new Uint8Array(
        openssl([
          'crl2pkcs7',
          '-nocrl',
          '-outform',
          'DER',
          ...['loop-leaf', 'loop-a', 'loop-b'].flatMap((n) => ['-certfile', join(dir, `${n}.crt`)]),
        ]),
      );
      await assert.rejects(
        validateBootstrappingData(
          { ...artifactsFor(FIXTURES_DIR, e), ownerCertificate: oc },
          contextFor(FIXTURES_DIR, loadManifest(), e),
        ),
        { step: 'owner-certificate', code: 'SZTP_ERR_OWNER_CERT_CHAIN' },
      );
    },
  );
  test("a certificate on the path signed with SHA-1 is refused (the anchor's own signature is not relied upon)", async () => {
    const sha1Leaf = load(join(dir, 'sha1-leaf.crt'));
    for (const opts of [trusted, untrusted]) {
      const r = await validatePath(sha1Leaf, [], [plRoot], opts);
      assert.equal(!r.ok && r.failure.kind, 'no-path');
      assert.match(!r.ok ? r.failure.message : '', /SHA-1 are refused/);
    }
    // The same certificate pinned as the anchor itself is fine: no signature of it is verified.
    assert.ok((await validatePath(sha1Leaf, [], [sha1Leaf], trusted)).ok);
  });
  test('wrong anchor → no-path', async () => {
    const r = await validatePath(fx('owner'), [fx('owner-int')], [fx('foreign-ca')], trusted);
    assert.equal(!r.ok && r.failure.kind, 'no-path');
  });
  test('pinned end-entity: accepted without the engine, its validity still checked', async () => {
    const self = fx('owner-self');
    const r = await validatePath(self, [self], [fx('owner-self')], trusted);
    assert.ok(r.ok && r.anchorIsLeaf);
    const expired = fx('owner-expired');
    assert.equal((await validatePath(expired, [], [fx('owner-expired')], trusted)).ok, false);
    assert.ok((await validatePath(expired, [], [fx('owner-expired')], untrusted)).ok);
  });
  test("untrusted clock: an expired EE whose validity does not even overlap its CA's is accepted; nothing else is relaxed", async () => {
    const expired = fx('owner-expired');
    const tr = await validatePath(expired, [fx('owner-int')], [fx('owner-root')], trusted);
    assert.equal(!tr.ok && tr.failure.kind, 'validity');
    const un = await validatePath(expired, [fx('owner-int')], [fx('owner-root')], untrusted);
    assert.ok(un.ok);
    assert.equal(un.path[0], expired);
    assert.equal(!(await validatePath(badLeaf, [fx('masa')], [fx('masa-ca')], untrusted)).ok && 'rejected', 'rejected');
    assert.equal((await validatePath(expired, [fx('owner-int')], [fx('foreign-ca')], untrusted)).ok, false);
    assert.equal((await validatePath(plLeaf, [plInt], [plRoot], untrusted)).ok, false);
  });
  test('the engine is handed the real certificates back: the untrusted-clock views do not leak', async () => {
    const owner = fx('owner');
    const int = fx('owner-int');
    const r = await validatePath(owner, [int], [fx('owner-root')], untrusted);
    assert.ok(r.ok);
    assert.equal(r.path[1], int);
    assert.equal(int.cert.notBefore.value.getTime(), int.notBefore.getTime());
  });
});
