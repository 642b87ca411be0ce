/**
 * Unit tests for the pure parts of the bootstrap client: get-bootstrapping-data input by trust
 * state, reply decoding (JSON/XML), RESTCONF errors, host-meta, report-progress filtering and body,
 * well-known server URIs, and the manual TLS chain verifier.
 * @module
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { buildBootstrapInput } from '../../../src/bootstrap/input.ts';
import { certsFromDegenerateCms, degenerateCmsFromCerts } from '../../../src/bootstrap/pem.ts';
import { pemToDer } from '../../../src/lib/pem.ts';
import {
  decodeBase64Field,
  parseBootstrappingReply,
  parseHostMeta,
  parseRestconfErrors,
} from '../../../src/bootstrap/reply.ts';
import { progressBody, shouldReport } from '../../../src/bootstrap/reporter.ts';
import { statusError } from '../../../src/bootstrap/restconf.ts';
import { verifyChain } from '../../../src/bootstrap/tls.ts';
import { parseServerUri } from '../../../src/fetchers/server.ts';
import { PROGRESS_TYPES } from '../../../src/progress/progress-type.ts';
import { certDer, issueCert, makeCa, openssl } from '../../support/pki.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

const identity = { hwModel: 'model-x', osName: 'VendorOS', osVersion: '1.2' };
const nonce = new Uint8Array(32).fill(7);

describe('get-bootstrapping-data input', () => {
  test('AT-30 AT-54: untrusted: only signed-data-preferred [null] and the nonce', () => {
    const i = buildBootstrapInput(false, identity, nonce);
    assert.deepEqual(JSON.parse(i.body), {
      'ietf-sztp-bootstrap-server:input': {
        'signed-data-preferred': [null],
        nonce: Buffer.from(nonce).toString('base64'),
      },
    });
    assert.equal(i.nonce, nonce);
  });
  test('trusted: hw-model, os-name, os-version (+ nonce), no signed-data-preferred', () => {
    assert.deepEqual(JSON.parse(buildBootstrapInput(true, identity, undefined).body), {
      'ietf-sztp-bootstrap-server:input': { 'hw-model': 'model-x', 'os-name': 'VendorOS', 'os-version': '1.2' },
    });
    assert.equal(buildBootstrapInput(true, identity, undefined).nonce, undefined);
  });
});

describe('reply decoding', () => {
  const b64 = Buffer.from([1, 2, 3]).toString('base64');
  test('JSON output with all artifacts and reporting-level', () => {
    const r = parseBootstrappingReply(
      JSON.stringify({
        'ietf-sztp-bootstrap-server:output': {
          'reporting-level': 'verbose',
          'conveyed-information': b64,
          'owner-certificate': b64,
          'ownership-voucher': `${b64}\n`,
        },
      }),
      'application/yang-data+json',
    );
    assert.equal(r.reportingLevel, 'verbose');
    assert.deepEqual([...r.artifacts.conveyedInformation], [1, 2, 3]);
    assert.deepEqual([...(r.artifacts.ownershipVoucher ?? [])], [1, 2, 3]);
  });
  test('XML output (and the dotted media-type typo, T-10) is accepted; reporting-level defaults to minimal', () => {
    const xml = `<output xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"><conveyed-information>${b64}</conveyed-information></output>`;
    const r = parseBootstrappingReply(xml, 'application/yang.data+xml');
    assert.equal(r.reportingLevel, 'minimal');
    assert.equal(r.artifacts.ownerCertificate, undefined);
  });
  test('missing conveyed-information, bad base64, bad level, not JSON: SZTP_ERR_SERVER_RESPONSE', () => {
    for (const body of [
      JSON.stringify({ 'ietf-sztp-bootstrap-server:output': {} }),
      JSON.stringify({ 'ietf-sztp-bootstrap-server:output': { 'conveyed-information': 'not*base64' } }),
      JSON.stringify({
        'ietf-sztp-bootstrap-server:output': { 'conveyed-information': b64, 'reporting-level': 'loud' },
      }),
      JSON.stringify({ other: 1 }),
      '{not json',
    ])
      assert.throws(
        () => parseBootstrappingReply(body, 'application/yang-data+json'),
        { code: 'SZTP_ERR_SERVER_RESPONSE' },
        body,
      );
    assert.throws(() => decodeBase64Field('abc', 'x'), { code: 'SZTP_ERR_SERVER_RESPONSE' });
  });
  test('ietf-restconf:errors in JSON and XML; status errors carry the tags; 3xx is an HTTP status error', () => {
    const json = JSON.stringify({
      'ietf-restconf:errors': {
        error: [{ 'error-type': 'protocol', 'error-tag': 'access-denied', 'error-message': 'no' }],
      },
    });
    assert.deepEqual(parseRestconfErrors(json, 'application/yang-data+json'), [
      { errorType: 'protocol', errorTag: 'access-denied', errorMessage: 'no' },
    ]);
    const xml =
      '<errors xmlns="urn:ietf:params:xml:ns:yang:ietf-restconf"><error><error-type>application</error-type><error-tag>invalid-value</error-tag></error></errors>';
    assert.deepEqual(parseRestconfErrors(xml, 'application/yang-data+xml'), [
      { errorType: 'application', errorTag: 'invalid-value' },
    ]);
    assert.equal(parseRestconfErrors('oops', 'text/plain'), undefined);
    const e = statusError({ status: 400, contentType: 'application/yang-data+json', body: json }, 'x');
    assert.equal(e.code, 'SZTP_ERR_SERVER_RESTCONF_ERROR');
    assert.deepEqual(e.evidence?.errorTags, ['access-denied']);
    assert.equal(
      statusError({ status: 302, contentType: '', body: '', location: 'https://x/' }, 'x').code,
      'SZTP_ERR_SERVER_HTTP_STATUS',
    );
    assert.equal(
      statusError({ status: 500, contentType: 'text/html', body: '<html/>' }, 'x').code,
      'SZTP_ERR_SERVER_HTTP_STATUS',
    );
  });
  test('host-meta: relative and same-origin hrefs accepted, other hosts refused (T-28)', () => {
    const xrd = (href: string): string =>
      `<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'><Link rel='author' href='/a'/><Link rel='restconf' href='${href}'/></XRD>`;
    assert.equal(parseHostMeta(xrd('/top/restconf/'), 'https://h:8443'), '/top/restconf');
    assert.equal(parseHostMeta(xrd('https://h:8443/rc'), 'https://h:8443'), '/rc');
    assert.equal(parseHostMeta(xrd('https://evil:8443/rc'), 'https://h:8443'), undefined);
    assert.equal(parseHostMeta(xrd('//evil/rc'), 'https://h:8443'), undefined);
    assert.equal(parseHostMeta('garbage', 'https://h:8443'), undefined);
  });
});

describe('report-progress', () => {
  test('minimal level passes exactly bootstrap-initiated, the terminating reports and bootstrap-warning', () => {
    const minimal = PROGRESS_TYPES.filter((t) => shouldReport(t, 'minimal'));
    assert.deepEqual(minimal.sort(), [
      'boot-image-error',
      'boot-image-installed-rebooting',
      'bootstrap-complete',
      'bootstrap-error',
      'bootstrap-initiated',
      'bootstrap-warning',
      'config-error',
      'parsing-error',
      'post-script-error',
      'pre-script-error',
    ]);
    assert.equal(PROGRESS_TYPES.filter((t) => shouldReport(t, 'verbose')).length, PROGRESS_TYPES.length);
  });
  test('ssh-host-keys and trust-anchor-certs only with bootstrap-complete', () => {
    const extra = {
      sshHostKeys: [{ algorithm: 'ssh-ed25519', keyData: new Uint8Array([1]) }],
      trustAnchorCerts: [new Uint8Array([2])],
    };
    assert.deepEqual(JSON.parse(progressBody({ progressType: 'config-complete', ...extra })), {
      'ietf-sztp-bootstrap-server:input': { 'progress-type': 'config-complete' },
    });
    const body = JSON.parse(progressBody({ progressType: 'bootstrap-complete', ...extra })) as Record<
      string,
      Record<string, unknown>
    >;
    assert.deepEqual(body['ietf-sztp-bootstrap-server:input']?.['trust-anchor-certs'], {
      'trust-anchor-cert': ['Ag=='],
    });
  });
});

describe('well-known server URIs', () => {
  test('https://host[:port] only', () => {
    assert.deepEqual(parseServerUri('https://sztp.example.com'), { address: 'sztp.example.com', port: 443 });
    assert.deepEqual(parseServerUri('https://[2001:db8::1]:8443/'), { address: '2001:db8::1', port: 8443 });
    for (const bad of ['http://a', 'https://a/restconf', 'https://u:p@a', 'https://a?x', 'nonsense']) {
      assert.throws(() => parseServerUri(bad), { code: 'SZTP_ERR_SERVER_URI' }, bad);
    }
  });
});

describe('certificates', () => {
  const dir = makeTempDir('tls');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const root = makeCa(dir, 'root', 'p256');
  const inter = issueCert(dir, 'inter', 'p256', root, '/CN=inter', [
    'basicConstraints=critical,CA:TRUE',
    'keyUsage=critical,keyCertSign',
  ]);
  const leaf = issueCert(dir, 'leaf', 'p256', inter, '/CN=srv', [
    'basicConstraints=critical,CA:FALSE',
    'subjectAltName=DNS:srv.example,IP:192.0.2.1',
  ]);
  const expired = issueCert(dir, 'old', 'p256', inter, '/CN=old', ['subjectAltName=DNS:srv.example'], -1);
  const other = makeCa(dir, 'other', 'p256');
  const [L, I, R, O, E] = [leaf, inter, root, other, expired].map((c) => certDer(c.cert));

  test('verifyChain: full chain to the root, partial chain to an intermediate anchor, identity by DNS and IP', async () => {
    assert.equal(await verifyChain([L!, I!], [R!], 'srv.example'), undefined);
    assert.equal(await verifyChain([L!, I!], [R!], '192.0.2.1'), undefined);
    assert.equal(await verifyChain([L!], [I!], 'srv.example'), undefined);
    assert.match((await verifyChain([L!, I!], [R!], 'other.example')) ?? '', /does not name/);
    assert.match((await verifyChain([L!, I!], [O!], 'srv.example')) ?? '', /does not chain/);
    assert.match((await verifyChain([L!], [R!], 'srv.example')) ?? '', /does not chain/);
  });
  test('verifyChain: RFC 5280 path rules beyond name chaining (pathLenConstraint) hold without OpenSSL too', async () => {
    const capped = issueCert(dir, 'capped', 'p256', root, '/CN=capped', [
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      'keyUsage=critical,keyCertSign',
    ]);
    const sub = issueCert(dir, 'sub', 'p256', capped, '/CN=sub', [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign',
    ]);
    const deep = issueCert(dir, 'deep', 'p256', sub, '/CN=deep', [
      'basicConstraints=critical,CA:FALSE',
      'subjectAltName=DNS:srv.example',
    ]);
    const [C, S, D] = [capped, sub, deep].map((c) => certDer(c.cert));
    assert.ok(
      (await verifyChain([D!, S!, C!], [R!], 'srv.example')) !== undefined,
      'a path through a pathlen:0 CA with a sub-CA below it must be refused',
    );
    assert.equal(
      await verifyChain([D!, S!], [S!], 'srv.example'),
      undefined,
      'the same leaf pinned to its direct issuer is fine',
    );
  });
  test('verifyChain: an issuing CA whose extendedKeyUsage excludes serverAuth cannot issue a trusted server certificate', async () => {
    const clientOnly = issueCert(dir, 'client-only-ca', 'p256', root, '/CN=client-only-ca', [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign',
      'extendedKeyUsage=clientAuth',
    ]);
    const srv = issueCert(dir, 'srv-under-client-ca', 'p256', clientOnly, '/CN=srv', [
      'basicConstraints=critical,CA:FALSE',
      'subjectAltName=DNS:srv.example',
    ]);
    const [C, S] = [clientOnly, srv].map((c) => certDer(c.cert));
    assert.match((await verifyChain([S!, C!], [R!], 'srv.example')) ?? '', /restricted to other purposes/);
    assert.equal(await verifyChain([L!, I!], [R!], 'srv.example'), undefined);
  });
  test('verifyChain: dates checked only with a trusted clock (T-08)', async () => {
    assert.equal(await verifyChain([E!, I!], [R!], 'srv.example'), undefined);
    assert.match((await verifyChain([E!, I!], [R!], 'srv.example', new Date())) ?? '', /validity/);
  });
  test('trust-anchor CMS round trip (openssl crl2pkcs7 and our own encoder)', () => {
    const cms = openssl(['crl2pkcs7', '-nocrl', '-certfile', inter.cert, '-certfile', root.cert, '-outform', 'DER']);
    const certs = certsFromDegenerateCms(cms);
    assert.deepEqual(
      certs.map((c) => Buffer.from(c).toString('hex')).sort(),
      [I!, R!].map((c) => c.toString('hex')).sort(),
    );
    assert.deepEqual(
      certsFromDegenerateCms(degenerateCmsFromCerts([R!])).map((c) => Buffer.from(c).toString('hex')),
      [R!.toString('hex')],
    );
    assert.throws(() => certsFromDegenerateCms(new Uint8Array([1, 2, 3])), { code: 'SZTP_ERR_CMS_DECODE' });
    const pem = openssl(['x509', '-in', root.cert]).toString();
    assert.equal(pemToDer(pem + pem).length, 2);
  });
});

describe('RFC 9646 CSR helpers', () => {
  test('findCsrRequest needs error-tag missing-attribute and ietf-sztp-csr:csr-request', async () => {
    const { findCsrRequest, buildCsr, P256_ALGORITHM_ID } = await import('../../../src/bootstrap/csr.ts');
    const info = {
      'ietf-sztp-csr:csr-request': {
        'key-generation': {
          'selected-algorithm': { 'algorithm-identifier': Buffer.from(P256_ALGORITHM_ID).toString('base64') },
        },
      },
    };
    assert.deepEqual(findCsrRequest([{ errorTag: 'missing-attribute', errorInfo: info }]), {
      selectedAlgorithm: P256_ALGORITHM_ID,
    });
    assert.equal(findCsrRequest([{ errorTag: 'invalid-value', errorInfo: info }]), undefined);
    assert.equal(findCsrRequest([{ errorTag: 'missing-attribute' }]), undefined);
    // an algorithm that was not offered is refused.
    await assert.rejects(buildCsr({ selectedAlgorithm: new Uint8Array([48, 0]) }, new Uint8Array()), {
      code: 'SZTP_ERR_SERVER_RESPONSE',
    });
    await assert.rejects(buildCsr({ format: 'ietf-ztp-types:cmc-csr' }, new Uint8Array()), {
      code: 'SZTP_ERR_SERVER_RESPONSE',
    });
    // X-08 reuse of a hardware IDevID key: key-generation is not offered, so a selected algorithm is refused too.
    const { csrSupportInput, idevidCsr } = await import('../../../src/bootstrap/csr.ts');
    assert.deepEqual(Object.keys(csrSupportInput(false)), ['csr-generation']);
    assert.deepEqual(Object.keys(csrSupportInput()), ['key-generation', 'csr-generation']);
    const never = {
      kind: 'tpm2',
      type: 'ec' as const,
      tlsClientOptions: () => Promise.reject(new Error('unused')),
      sign: () => Promise.reject(new Error('unused')),
      unwrapRsaOaep: () => Promise.reject(new Error('unused')),
      deriveEcdh: () => Promise.reject(new Error('unused')),
    };
    await assert.rejects(idevidCsr({ selectedAlgorithm: P256_ALGORITHM_ID }, new Uint8Array(), never), {
      code: 'SZTP_ERR_SERVER_RESPONSE',
    });
  });
});
