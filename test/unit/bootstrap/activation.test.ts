/**
 * The activation code's configuration and encoding: `activation_code` before `activation_code_file`,
 * the effective configuration hides the code, and HTTP Basic `serial:code` (RFC 7617) refuses a
 * serial with a colon and control characters.
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basicAuthorization, loadActivationCode } from '../../../src/bootstrap/activation.ts';
import { parseConfigText } from '../../../src/config/load.ts';
import { renderEffective } from '../../../src/config/render.ts';

test('Basic credentials are serial:code in base64; a colon in the serial or control characters are refused', () => {
  assert.equal(
    basicAuthorization('FCW2126G05V', 's3cret:with:colons'),
    `Basic ${Buffer.from('FCW2126G05V:s3cret:with:colons').toString('base64')}`,
  );
  for (const [serial, code] of [
    ['PID:C9300-24T SN:FCW2126G05V', 'x'],
    ['SN1', 'a\r\nX-Injected: 1'],
    ['SN\n1', 'x'],
  ] as const) {
    assert.throws(() => basicAuthorization(serial, code), { code: 'SZTP_ERR_DEVICE_IDENTITY' }, JSON.stringify(serial));
  }
});

test('activation_code wins over activation_code_file; the effective configuration hides the code', async () => {
  const both = parseConfigText(
    '[Bootstrap]\nactivation_code: abc\nactivation_code_file: /etc/sztp/code\n',
    '/etc/z/ztp.ini',
  );
  assert.equal(await loadActivationCode(both.bootstrap, () => Promise.reject(new Error('must not read'))), 'abc');
  const c = parseConfigText(
    '[Bootstrap]\nactivation_code: very-secret-code\nactivation_code_provisional: yes\n',
    '/etc/z/ztp.ini',
  );
  assert.equal(c.bootstrap.activationCode, 'very-secret-code');
  assert.equal(c.bootstrap.activationCodeProvisional, true);
  const text = renderEffective(c);
  assert.doesNotMatch(text, /very-secret-code/);
  assert.match(text, /activation_code: \(hidden\)/);
  assert.equal(
    parseConfigText('[Bootstrap]\nactivation_code_file: code.txt\n', '/etc/z/ztp.ini').bootstrap.activationCodeFile,
    '/etc/z/code.txt',
  );
});
