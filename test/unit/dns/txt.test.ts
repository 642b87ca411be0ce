/**
 * The device-specific TXT record (RFC 8572 §4.2.2, C-032): ci/oc/ov keys, other keys ignored,
 * keys case-insensitive (RFC 6763 §6.4), splitting over 255-octet character-strings, and the
 * refusals (duplicate key, empty value, base64 text, unterminated split, oversized value).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isSztpError } from '../../../src/errors.ts';
import { MAX_TXT_VALUE_OCTETS, decodeSztpTxt, encodeSztpTxt } from '../../../src/dns/txt.ts';

const s = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const der = (n: number, fill = 0x42): Uint8Array => Uint8Array.from([0x30, ...new Array<number>(n - 1).fill(fill)]);
const refused = (records: Uint8Array[][], pattern: RegExp): void => {
  assert.throws(
    () => decodeSztpTxt(records),
    (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_DNS_TXT' && pattern.test(e.message),
  );
};

describe('SZTP TXT key/value pairs', () => {
  it('reads ci, oc and ov as binary and ignores every other key (C-032)', () => {
    const got = decodeSztpTxt([
      [
        s('txtvers=1'),
        Uint8Array.from([...s('ci='), 0x30, 0, 0xff]),
        s('flag'),
        Uint8Array.from([...s('OC='), 0x30, 1]),
        Uint8Array.from([...s('ov='), 0x30, 2]),
        s('x=y'),
      ],
    ]);
    assert.deepEqual([...got.conveyedInformation!], [0x30, 0, 0xff]);
    assert.deepEqual([...got.ownerCertificate!], [0x30, 1]);
    assert.deepEqual([...got.ownershipVoucher!], [0x30, 2]);
  });

  it('ci alone is all there is for unsigned data; no SZTP key gives no artifacts', () => {
    assert.deepEqual(Object.keys(decodeSztpTxt([[Uint8Array.from([...s('ci='), 0x30, 5])]])), ['conveyedInformation']);
    assert.deepEqual(decodeSztpTxt([[s('hello=world')], [new Uint8Array(0)]]), {});
  });

  it('joins a value split over full 255-octet strings; a short (or empty) string ends it', () => {
    for (const size of [1, 251, 252, 253, 500, 507, 508, 4000]) {
      const ci = der(size, 0x41);
      const strings = encodeSztpTxt({ conveyedInformation: ci, ownerCertificate: der(300, 0x43) });
      assert.ok(strings.every((x) => x.length <= 255));
      const got = decodeSztpTxt([strings]);
      assert.deepEqual(Buffer.from(got.conveyedInformation!), Buffer.from(ci), `size ${size}`);
      assert.deepEqual(Buffer.from(got.ownerCertificate!), Buffer.from(der(300, 0x43)));
    }
    // "ci=" + 252 octets fills the first string exactly: an empty string closes it.
    const exact = encodeSztpTxt({ conveyedInformation: der(252) });
    assert.deepEqual(
      exact.map((x) => x.length),
      [255, 0],
    );
  });

  it('property: encode → decode is the identity for any artifacts', () => {
    const art = fc.option(
      fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((b) => Uint8Array.from([0x30, ...b])),
      { nil: undefined },
    );
    fc.assert(
      fc.property(art, art, art, (ci, oc, ov) => {
        const input = {
          ...(ci ? { conveyedInformation: ci } : {}),
          ...(oc ? { ownerCertificate: oc } : {}),
          ...(ov ? { ownershipVoucher: ov } : {}),
        };
        const got = decodeSztpTxt([encodeSztpTxt(input)]);
        assert.deepEqual(
          Object.fromEntries(Object.entries(got).map(([k, v]) => [k, Buffer.from(v).toString('hex')])),
          Object.fromEntries(Object.entries(input).map(([k, v]) => [k, Buffer.from(v).toString('hex')])),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a duplicate ci/oc/ov, also across records and in another case', () => {
    refused([[s('ci=0a'), s('CI=0b')]], /more than once/);
    refused([[Uint8Array.from([...s('ov='), 0x30])], [Uint8Array.from([...s('ov='), 0x30, 0])]], /more than once/);
  });

  it('counts an identical record seen twice once (an mDNS answer repeated)', () => {
    const rec = [Uint8Array.from([...s('ci='), 0x30, 9])];
    assert.deepEqual([...decodeSztpTxt([rec, rec]).conveyedInformation!], [0x30, 9]);
  });

  it('refuses an SZTP key without a value, or with an empty one', () => {
    refused([[s('ci')]], /no value/);
    refused([[s('oc=')]], /no value/);
  });

  it('refuses base64 text where RFC 8572 wants binary', () => {
    refused([[s(`ci=${Buffer.from(der(40)).toString('base64')}`)]], /base64/);
  });

  it('refuses a split value whose last string is full (nothing ends it)', () => {
    refused([[Uint8Array.from([...s('ci='), ...der(252)])]], /no string follows/);
  });

  it('refuses values longer than one record can hold (RFC 8572 §4.2.4)', () => {
    assert.throws(
      () => encodeSztpTxt({ conveyedInformation: der(MAX_TXT_VALUE_OCTETS + 1) }),
      (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_DNS_TXT',
    );
    const strings = [
      Uint8Array.from([...s('ci='), ...der(252)]),
      ...new Array<Uint8Array>(300).fill(new Uint8Array(255).fill(1)),
    ];
    refused([strings], /longer than 65535/);
  });

  it('property: arbitrary strings decode or fail with SZTP_ERR_DNS_TXT only', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.uint8Array({ maxLength: 255 }), { maxLength: 6 }), { maxLength: 3 }),
        (records) => {
          try {
            decodeSztpTxt(records);
          } catch (e) {
            assert.ok(isSztpError(e) && e.code === 'SZTP_ERR_DNS_TXT', String(e));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
