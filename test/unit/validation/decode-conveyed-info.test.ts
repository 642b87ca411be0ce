/**
 * Conveyed-information decoding (RFC 8572 §6 schema, YANG `must` pairs, JSON quirks T-11, XML
 * with namespace check) and the hostile-input limits, table-driven with exact codes.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValidationError } from '../../../src/errors.ts';
import { parseConveyedDocument } from '../../../src/validation/conveyed-information.ts';
import { decodeConveyedInformation } from '../../../src/validation/decode-conveyed-info.ts';
import { DEFAULT_LIMITS } from '../../../src/validation/limits.ts';
import { OID } from '../../../src/validation/oids.ts';
import { validateBootstrappingData } from '../../../src/validation/pipeline.ts';
import { FIXTURES_DIR, artifactsFor, contextFor, loadManifest } from '../../support/fixtures.ts';

const OB = 'ietf-sztp-conveyed-info:onboarding-information';
const RD = 'ietf-sztp-conveyed-info:redirect-information';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const decodeJson = (doc: unknown): ReturnType<typeof decodeConveyedInformation> =>
  decodeConveyedInformation(parseConveyedDocument(OID.conveyedJson, enc(JSON.stringify(doc)), DEFAULT_LIMITS));
const rejects = (fn: () => unknown, code: string): void => {
  assert.throws(
    fn,
    (e: unknown) => e instanceof ValidationError && e.code === code && e.step === 'conveyed-information',
  );
};

describe('onboarding-information schema', () => {
  test('AT-49 configuration without configuration-handling is a schema error, and vice versa', () => {
    rejects(() => decodeJson({ [OB]: { configuration: 'aGk=' } }), 'SZTP_ERR_CONVEYED_SCHEMA');
    rejects(() => decodeJson({ [OB]: { 'configuration-handling': 'merge' } }), 'SZTP_ERR_CONVEYED_SCHEMA');
  });
  test('AT-49 image-verification without download-uri is a schema error', () => {
    rejects(
      () =>
        decodeJson({
          [OB]: { 'boot-image': { 'image-verification': [{ 'hash-algorithm': 'sha-256', 'hash-value': 'ab' }] } },
        }),
      'SZTP_ERR_CONVEYED_SCHEMA',
    );
  });
  const bad: [string, unknown][] = [
    [
      'hash-value not colon hex',
      {
        'boot-image': {
          'download-uri': ['https://a/b'],
          'image-verification': [{ 'hash-algorithm': 'sha-256', 'hash-value': 'abcd' }],
        },
      },
    ],
    ['download-uri not a URI', { 'boot-image': { 'download-uri': ['not a uri'] } }],
    ['configuration-handling unknown', { 'configuration-handling': 'append', configuration: 'aGk=' }],
    ['configuration not base64', { 'configuration-handling': 'merge', configuration: 'a*b' }],
    ['unknown member', { 'boot-image': {}, extra: 1 }],
    [
      'conflicting duplicate hashes',
      {
        'boot-image': {
          'download-uri': ['https://a/b'],
          'image-verification': [
            { 'hash-algorithm': 'sha-256', 'hash-value': 'ab' },
            { 'hash-algorithm': 'sha-256', 'hash-value': 'cd' },
          ],
        },
      },
    ],
  ];
  for (const [name, body] of bad)
    test(`rejects: ${name}`, () => {
      rejects(() => decodeJson({ [OB]: body }), 'SZTP_ERR_CONVEYED_SCHEMA');
    });

  test('AT-52 quirks: unprefixed identity, base64 with whitespace, null scripts, identical duplicate hashes', () => {
    const r = decodeJson({
      [OB]: {
        'boot-image': {
          'download-uri': ['file:///disk2:/images/x.iso', 'file:///disk3:/images/x.iso'],
          'image-verification': [
            { 'hash-algorithm': 'sha-256', 'hash-value': 'AB:cd' },
            { 'hash-algorithm': 'ietf-sztp-conveyed-info:sha-256', 'hash-value': 'ab:CD' },
          ],
        },
        'configuration-handling': 'replace',
        configuration: 'aGVs\nbG8=\n',
        'pre-configuration-script': null,
        'post-configuration-script': null,
      },
    });
    assert.equal(r.kind, 'onboarding-information');
    assert.ok(r.kind === 'onboarding-information');
    assert.equal(Buffer.from(r.onboarding.configuration ?? []).toString(), 'hello');
    assert.equal(r.onboarding.preConfigurationScript, undefined);
    assert.deepEqual(r.onboarding.bootImage?.imageVerification, [
      { hashAlgorithm: 'sha-256', hashValue: new Uint8Array([0xab, 0xcd]) },
    ]);
  });
  test('top level must be exactly one known container', () => {
    rejects(() => decodeJson({}), 'SZTP_ERR_CONVEYED_SCHEMA');
    rejects(
      () => decodeJson({ [OB]: {}, [RD]: { 'bootstrap-server': [{ address: 'a' }] } }),
      'SZTP_ERR_CONVEYED_SCHEMA',
    );
    rejects(() => decodeJson({ 'conveyed-information': {} }), 'SZTP_ERR_CONVEYED_SCHEMA');
    rejects(() => decodeJson([1]), 'SZTP_ERR_CONVEYED_SCHEMA');
  });
});

describe('redirect-information schema', () => {
  test('defaults port 443, accepts numeric-string port, decodes trust-anchor', () => {
    const r = decodeJson({
      [RD]: {
        'bootstrap-server': [
          { address: 'sztp.example.com' },
          { address: '2001:db8::1', port: '8443', 'trust-anchor': 'AAEC' },
        ],
      },
    });
    assert.ok(r.kind === 'redirect-information');
    assert.deepEqual(r.redirect.bootstrapServers, [
      { address: 'sztp.example.com', port: 443 },
      { address: '2001:db8::1', port: 8443, trustAnchor: new Uint8Array([0, 1, 2]) },
    ]);
  });
  const bad: [string, unknown][] = [
    ['empty list', { 'bootstrap-server': [] }],
    ['port 0', { 'bootstrap-server': [{ address: 'a', port: 0 }] }],
    ['port 65536', { 'bootstrap-server': [{ address: 'a', port: 65536 }] }],
    ['bad host', { 'bootstrap-server': [{ address: 'a b' }] }],
    ['duplicate address', { 'bootstrap-server': [{ address: 'a' }, { address: 'a' }] }],
    ['unknown member', { 'bootstrap-server': [{ address: 'a', foo: 1 }] }],
  ];
  for (const [name, body] of bad)
    test(`rejects: ${name}`, () => {
      rejects(() => decodeJson({ [RD]: body }), 'SZTP_ERR_CONVEYED_SCHEMA');
    });
});

describe('XML conveyed information', () => {
  const NS = 'urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info';
  const xml = (s: string): ReturnType<typeof decodeConveyedInformation> =>
    decodeConveyedInformation(parseConveyedDocument(OID.conveyedXml, enc(s), DEFAULT_LIMITS));
  test('redirect with a prefixed root converts to the JSON shape', () => {
    const r = xml(
      `<ci:redirect-information xmlns:ci="${NS}"><ci:bootstrap-server><ci:address>a.example</ci:address><ci:port>8443</ci:port></ci:bootstrap-server></ci:redirect-information>`,
    );
    assert.ok(r.kind === 'redirect-information' && r.redirect.bootstrapServers[0]?.port === 8443);
  });
  test('id-data with a leading "<" is read as XML', () => {
    const doc = parseConveyedDocument(OID.data, enc(`\n<onboarding-information xmlns="${NS}"/>`), DEFAULT_LIMITS);
    assert.deepEqual(doc, { [OB]: {} });
  });
  test('wrong namespace, DOCTYPE/entities and malformed XML are rejected', () => {
    rejects(() => xml('<onboarding-information xmlns="urn:other"/>'), 'SZTP_ERR_CONVEYED_SCHEMA');
    rejects(
      () => xml(`<!DOCTYPE x [<!ENTITY a "b">]><onboarding-information xmlns="${NS}"/>`),
      'SZTP_ERR_CONVEYED_DECODE',
    );
    rejects(() => xml(`<onboarding-information xmlns="${NS}"><configuration>`), 'SZTP_ERR_CONVEYED_DECODE');
  });
});

describe('limits', () => {
  const m = loadManifest();
  const valid = m.variants.find((v) => v.kind === 'p256' && v.variant === 'valid');
  assert.ok(valid);
  test('JSON nesting deeper than the limit → SZTP_ERR_LIMIT_EXCEEDED (before parsing)', () => {
    rejects(
      () => parseConveyedDocument(OID.conveyedJson, enc('['.repeat(100) + ']'.repeat(100)), DEFAULT_LIMITS),
      'SZTP_ERR_LIMIT_EXCEEDED',
    );
  });
  test('a document above the size limit → SZTP_ERR_LIMIT_EXCEEDED', () => {
    rejects(
      () =>
        parseConveyedDocument(OID.conveyedJson, new Uint8Array(DEFAULT_LIMITS.maxDocumentBytes + 1), DEFAULT_LIMITS),
      'SZTP_ERR_LIMIT_EXCEEDED',
    );
  });
  test('an artifact above the size limit → SZTP_ERR_CMS_TOO_LARGE before decoding', async () => {
    const huge = new Uint8Array(DEFAULT_LIMITS.maxArtifactBytes + 1);
    await assert.rejects(validateBootstrappingData({ conveyedInformation: huge }, contextFor(FIXTURES_DIR, m, valid)), {
      code: 'SZTP_ERR_CMS_TOO_LARGE',
      step: 'conveyed-information',
    });
  });
  test('garbage and empty input → SZTP_ERR_CMS_DECODE', async () => {
    for (const bytes of [
      new Uint8Array(),
      new Uint8Array([0x30]),
      enc('{"json":"not cms"}'),
      new Uint8Array([0x30, 0x80, 0x30, 0x80]),
    ]) {
      await assert.rejects(
        validateBootstrappingData({ conveyedInformation: bytes }, contextFor(FIXTURES_DIR, m, valid)),
        { code: 'SZTP_ERR_CMS_DECODE', step: 'conveyed-information' },
      );
    }
  });
  test('more certificates in a bag than the limit → SZTP_ERR_LIMIT_EXCEEDED', async () => {
    const a = artifactsFor(FIXTURES_DIR, valid);
    const { validateWithOptions } = await import('../../../src/validation/pipeline.ts');
    await assert.rejects(
      validateWithOptions(a, contextFor(FIXTURES_DIR, m, valid), { limits: { ...DEFAULT_LIMITS, maxCertificates: 1 } }),
      { code: 'SZTP_ERR_LIMIT_EXCEEDED', step: 'voucher' },
    );
  });
});
