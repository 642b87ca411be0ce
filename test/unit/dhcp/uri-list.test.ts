/**
 * RFC 8572 §8.3 bootstrap-server-list parsing: worked example (docs/requirements.md), AT-28, T-27
 * (paths, plain text), truncation, and fast-check properties (round trip, hostile bytes).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isSztpError } from '../../../src/errors.ts';
import { encodeUriList, parseRedirectUri, parseUriList } from '../../../src/dhcp/uri-list.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/[\s|]/g, ''), 'hex'));

/** The 54-octet list of the DHCP worked example in docs/requirements.md. */
const WORKED_LIST = hex(
  '00 1d 68 74 74 70 73 3a 2f 2f 73 7a 74 70 2e 65 78 61 6d 70 6c 65 2e 63 6f 6d 3a 38 34 34 33 | 00 15 68 74 74 70 73 3a 2f 2f 5b 32 30 30 31 3a 64 62 38 3a 3a 31 5d',
);

describe('RFC 8572 §8.3 URI list', () => {
  it('decodes the §2.6 worked example into two URIs in order', () => {
    assert.equal(WORKED_LIST.length, 54);
    const r = parseUriList(WORKED_LIST);
    assert.deepEqual(r.uris, [
      { uri: 'https://sztp.example.com:8443', host: 'sztp.example.com', port: 8443 },
      { uri: 'https://[2001:db8::1]', host: '2001:db8::1', port: 443 },
    ]);
    assert.equal(r.form, 'length-prefixed');
    assert.deepEqual(r.warnings, []);
  });

  it('encodes the worked example byte for byte', () => {
    assert.deepEqual(encodeUriList(['https://sztp.example.com:8443', 'https://[2001:db8::1]']), WORKED_LIST);
  });

  it('AT-28: keeps the https URI and drops the http one', () => {
    const r = parseUriList(encodeUriList(['http://192.0.2.9', 'https://192.0.2.1:8443']), 136);
    assert.deepEqual(
      r.uris.map((u) => u.uri),
      ['https://192.0.2.1:8443'],
    );
    assert.equal(r.dropped.length, 1);
    assert.match(r.dropped[0]!.reason, /not https/);
  });

  it('AT-28: an option holding only invalid URIs is discarded (SZTP_ERR_DHCP_NO_OPTION)', () => {
    assert.throws(() => parseUriList(encodeUriList(['http://192.0.2.1', 'ftp://x']), 136), {
      code: 'SZTP_ERR_DHCP_NO_OPTION',
    });
    assert.throws(() => parseUriList(new Uint8Array(0)), { code: 'SZTP_ERR_DHCP_NO_OPTION' });
  });

  it('ignores a truncated last entry and stops, keeping earlier ones', () => {
    const full = encodeUriList(['https://192.0.2.1', 'https://192.0.2.2']);
    const r = parseUriList(full.subarray(0, full.length - 3));
    assert.deepEqual(
      r.uris.map((u) => u.host),
      ['192.0.2.1'],
    );
    assert.equal(r.warnings.length, 1);
  });

  it('RFC 8572 §8 (issue 11 item 11): a URI with a path or a query is an invalid entry and ignored; an option with no valid entry is discarded', () => {
    const withPath = 'https://192.0.2.1:8443/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data';
    const r = parseUriList(encodeUriList([withPath, 'https://192.0.2.2?x=1', 'https://192.0.2.3:8443']));
    assert.deepEqual(
      r.uris.map((u) => [u.host, u.port]),
      [['192.0.2.3', 8443]],
    );
    assert.deepEqual(
      r.dropped.map((d) => d.reason.startsWith('a path is not allowed') || /query/.test(d.reason)),
      [true, true],
    );
    assert.throws(() => parseUriList(encodeUriList([withPath])), { code: 'SZTP_ERR_DHCP_NO_OPTION' });
  });

  it('RFC 8572 §8: a list without the 16-bit length framing (plain text) is discarded', () => {
    assert.throws(() => parseUriList(new TextEncoder().encode('https://192.0.2.1:8443 https://[2001:db8::2]')), {
      code: 'SZTP_ERR_DHCP_NO_OPTION',
    });
  });

  it('T-27 behind accept_nonconforming_uris: a URI with a path is used for host and port, with a warning', () => {
    const r = parseUriList(
      encodeUriList(['https://192.0.2.1:8443/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data']),
      143,
      { acceptNonconforming: true },
    );
    assert.deepEqual(
      r.uris.map((u) => [u.host, u.port]),
      [['192.0.2.1', 8443]],
    );
    assert.match(r.warnings[0]!, /path/);
  });

  it('the plain-text form only behind accept_nonconforming_uris, with a warning', () => {
    const r = parseUriList(new TextEncoder().encode('https://192.0.2.1:8443 https://[2001:db8::2]'), 143, {
      acceptNonconforming: true,
    });
    assert.equal(r.form, 'plain-text');
    assert.deepEqual(
      r.uris.map((u) => u.host),
      ['192.0.2.1', '2001:db8::2'],
    );
    assert.match(r.warnings[0]!, /plain text/);
  });

  it('rejects malformed URIs with a reason', () => {
    for (const bad of [
      'https://',
      'https://user@host',
      'https://host?x=1',
      'https://host#f',
      'https://host:0',
      'https://host:65536',
      'https://host:x',
      'https://[zz::1]',
      'https://300.1.1.1',
      'https://-bad-.example',
      'https://h\u00e9.example',
      'https://a b',
      'HTTP://x',
      '',
    ]) {
      assert.ok('reason' in parseRedirectUri(bad), bad);
    }
    for (const good of [
      'https://a',
      'HTTPS://Host.Example:1',
      'https://[::1]:65535',
      'https://192.0.2.1/',
      'https://xn--bcher-kva.example.',
    ]) {
      assert.ok('ok' in parseRedirectUri(good), good);
    }
  });

  it('property: encode → parse round trip keeps valid URIs in order', () => {
    const host = fc.oneof(
      fc.ipV4(),
      fc.ipV6().map((h) => `[${h}]`),
      fc.domain().filter((d) => !/^[0-9.]+$/.test(d)),
    );
    const uri = fc
      .tuple(host, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
      .map(([h, p]) => `https://${h}${p === undefined ? '' : `:${p}`}`);
    fc.assert(
      fc.property(fc.array(uri, { minLength: 1, maxLength: 8 }), (uris) => {
        const r = parseUriList(encodeUriList(uris));
        assert.deepEqual(
          r.uris.map((u) => u.uri),
          uris,
        );
        for (const u of r.uris) assert.ok(!u.host.startsWith('['));
      }),
    );
  });

  it('property: hostile bytes only ever yield a result or a coded error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          const r = parseUriList(bytes);
          assert.ok(r.uris.length > 0);
          for (const u of r.uris) assert.ok(u.port >= 1 && u.port <= 65535);
        } catch (err) {
          assert.ok(isSztpError(err));
          assert.equal(err.code, 'SZTP_ERR_DHCP_NO_OPTION');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('property: overlong, zero-length and non-ASCII entries never crash', () => {
    const entry = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
      fc.constant(Buffer.alloc(0)),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), fc.integer({ min: 0, max: 0xffff }), (entries, extraLen) => {
        const parts = entries.map((e) => Buffer.concat([Buffer.from([e.length >> 8, e.length & 0xff]), e]));
        const tail = Buffer.from([extraLen >> 8, extraLen & 0xff, 0x68]);
        try {
          parseUriList(Uint8Array.from(Buffer.concat([...parts, tail])));
        } catch (err) {
          assert.ok(isSztpError(err));
        }
      }),
    );
  });
});
