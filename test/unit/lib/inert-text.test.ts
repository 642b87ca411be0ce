/**
 * Untrusted text is inert (issue 11 item 5): the sanitiser, and each boundary that applies it
 * (RESTCONF error-message, HTTP Location, DHCP URI lists, certificate names made by openssl).
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseRestconfErrors } from '../../../src/bootstrap/reply.ts';
import { parseUriList } from '../../../src/dhcp/uri-list.ts';
import { inert } from '../../../src/lib/inert-text.ts';
import { parseCertificate } from '../../../src/validation/x509/certificate.ts';
import { certDer, makeCa } from '../../support/pki.ts';

const HOSTILE = '\u001b[2J\u001b]0;owned\u0007ok\r\nphase: bootstrap-complete\u009b31m\u0085x\u2028y\u202eevil\\n';
// Nothing a terminal would act on: C0, DEL, C1, line/paragraph separators, bidi controls.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u; // eslint-disable-line no-control-regex

test('inert escapes controls visibly, doubles backslashes, keeps printable text and cuts long text', () => {
  const out = inert(HOSTILE);
  assert.doesNotMatch(out, CONTROL);
  assert.equal(
    out,
    '\\x1b[2J\\x1b]0;owned\\x07ok\\r\\nphase: bootstrap-complete\\x9b31m\\x85x\\u{2028}y\\u{202e}evil\\\\n',
  );
  assert.equal(out.split('\n').length, 1, 'no line can be faked');
  assert.equal(inert('Ünïcödé text, 日本語 ok'), 'Ünïcödé text, 日本語 ok');
  assert.equal(inert('x'.repeat(2000)).length < 1100, true);
  assert.equal(inert('\ud800a'), '\ufffda');
});

test('RESTCONF error entries from a server are stored inert', () => {
  const body = JSON.stringify({
    'ietf-restconf:errors': {
      error: [{ 'error-type': 'application', 'error-tag': 'x\u001b[2J', 'error-message': HOSTILE }],
    },
  });
  const [e] = parseRestconfErrors(body, 'application/yang-data+json') ?? [];
  assert.doesNotMatch(e?.errorMessage ?? 'missing', CONTROL);
  assert.doesNotMatch(e?.errorTag ?? 'missing', CONTROL);
  assert.match(e?.errorMessage ?? '', /\\x1b\[2J/);
});

test('dropped DHCP URI entries are reported inert', () => {
  const bad = Buffer.from('https://a\u001b]0;t\u0007\n', 'latin1');
  const good = Buffer.from('https://192.0.2.1', 'latin1');
  const list = Buffer.concat([Buffer.from([0, bad.length]), bad, Buffer.from([0, good.length]), good]);
  const r = parseUriList(new Uint8Array(list));
  assert.equal(r.dropped.length, 1);
  assert.doesNotMatch(r.dropped[0]?.uri ?? '', CONTROL);
  assert.doesNotMatch(r.dropped[0]?.reason ?? '', CONTROL);
});

test('certificate names (openssl-made, with escape sequences in the CN) are inert', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sztp-inert-'));
  try {
    const { cert } = makeCa(dir, 'c', 'p256', '/O=evil\u001b[2J/CN=phase: bootstrap-complete\u0007\u009b', []);
    const c = parseCertificate(new Uint8Array(certDer(cert)), 'voucher', 'hostile certificate');
    assert.doesNotMatch(c.subject, CONTROL);
    assert.match(c.subject, /O=evil\\x1b\[2J/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
