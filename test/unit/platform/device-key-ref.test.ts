/**
 * The `[Device] idevid_key` / `idevid_cert` syntax (src/platform/device-key-ref.ts) and its use by
 * the config parser: RFC 7512 `pkcs11:` URIs naming a private key (a PIN in the URI, query
 * attributes, unknown attributes and non-private objects refused), `tpm2:` persistent handles and
 * `tpm2-nv:` NV indexes in their ranges; a hardware reference is kept verbatim, a path resolved.
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/errors.ts';
import {
  certRefOf,
  certRefProblem,
  keyBackendOf,
  keyRefOf,
  keyRefProblem,
} from '../../../src/platform/device-key-ref.ts';

test('pkcs11: URIs: a private key by object or id is accepted; PINs, queries, unknown attributes and other objects are refused', () => {
  for (const ok of [
    'pkcs11:token=idevid;object=idevid-ec;type=private',
    'pkcs11:id=%01%02',
    'pkcs11:model=SoftHSM%20v2;object=k',
    'pkcs11:token=t;object=k;x-vendor=1',
  ]) {
    assert.equal(keyRefProblem(ok), undefined, ok);
  }
  const refused: [string, RegExp][] = [
    ['pkcs11:token=t;object=k;pin-value=1234', /pin-value/],
    ['pkcs11:token=t;object=k?pin-value=1234', /pin-value/],
    ['pkcs11:token=t;object=k?pin-source=file:/x', /query/],
    ['pkcs11:token=t;object=k;colour=red', /unknown path attribute "colour"/],
    ['pkcs11:token=t', /names no key/],
    ['pkcs11:token=t;object=k;type=cert', /private key/],
    ['pkcs11:token=t;object=a b', /percent-encoded/],
    ['pkcs11:object=k;object=j', /repeated/],
    ['pkcs11:object=', /no value/],
  ];
  for (const [uri, why] of refused) assert.match(keyRefProblem(uri) ?? '', why, uri);
});

test('tpm2: handles and tpm2-nv: indexes must be 8 hex digits in their ranges; each names its own kind', () => {
  assert.equal(keyRefProblem('tpm2:0x81020000'), undefined);
  assert.match(keyRefProblem('tpm2:0x80000000') ?? '', /outside/);
  assert.match(keyRefProblem('tpm2:81020000') ?? '', /8 hex digits/);
  assert.match(keyRefProblem('tpm2-nv:0x01C90000') ?? '', /certificate/);
  assert.equal(certRefProblem('tpm2-nv:0x01C90000'), undefined);
  assert.match(certRefProblem('tpm2-nv:0x81000000') ?? '', /outside/);
  assert.match(certRefProblem('pkcs11:object=x') ?? '', /PEM file or tpm2-nv/);
  assert.deepEqual(keyRefOf('tpm2:0x81020000'), { kind: 'tpm2', handle: '0x81020000' });
  assert.deepEqual(certRefOf('tpm2-nv:0x01C90000'), { kind: 'tpm2-nv', index: '0x01c90000' });
  assert.deepEqual(keyBackendOf('/etc/k.pem'), { backend: 'file', key: '/etc/k.pem' });
});

test('config: a hardware reference is kept verbatim, a file path resolved; a PIN in the URI is a coded error with its line', () => {
  const c = parseConfigText(
    '[Device]\nidevid_cert: tpm2-nv:0x01C90000\nidevid_key: pkcs11:token=t;object=k\npkcs11_module: lib/p11.so\n',
    '/etc/sztp/ztp.ini',
  );
  assert.equal(c.device.idevidKey, 'pkcs11:token=t;object=k');
  assert.equal(c.device.idevidCert, 'tpm2-nv:0x01C90000');
  assert.equal(c.device.pkcs11Module, '/etc/sztp/lib/p11.so');
  assert.equal(c.device.tpm2Tcti, 'device:/dev/tpmrm0');
  assert.equal(c.device.keyTimeoutSeconds, 10);
  assert.equal(
    parseConfigText('[Device]\nidevid_key: k.pem\n', '/etc/sztp/ztp.ini').device.idevidKey,
    '/etc/sztp/k.pem',
  );
  assert.throws(
    () => parseConfigText('[Device]\n\nidevid_key: pkcs11:object=k;pin-value=1234\n', '/etc/sztp/ztp.ini'),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.some((p) => p.code === 'SZTP_ERR_CONFIG_VALUE' && p.line === 3 && /pin-value/.test(p.message)) &&
      !e.message.includes('1234'),
  );
});
