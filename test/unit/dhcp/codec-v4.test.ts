/**
 * DHCPv4 codec: RFC 2131 framing, §2.6 worked example for option 143, RFC 3396 concatenation
 * (AT-27: one list split over 3 instances, also through option 52 overload into `file`/`sname`),
 * encoder splitting of long values, and fast-check properties (round trip, hostile bytes).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isSztpError } from '../../../src/errors.ts';
import {
  DHCP4,
  addressListOption,
  concatOption,
  decodeDhcp4,
  encodeDhcp4,
  maskToPrefix,
  messageType,
  type Dhcp4Message,
} from '../../../src/dhcp/codec-v4.ts';
import { encodeUriList, parseUriList } from '../../../src/dhcp/uri-list.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/[\s|]/g, ''), 'hex'));
const MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 1);

function reply(options: Dhcp4Message['options']): Dhcp4Message {
  return {
    op: 2,
    xid: 0x12345678,
    secs: 0,
    flags: 0x8000,
    ciaddr: '0.0.0.0',
    yiaddr: '192.0.2.100',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr: MAC,
    options,
  };
}

/** Builds a raw message whose options area is `area` verbatim (and optional file/sname contents). */
function raw(area: Uint8Array, file?: Uint8Array, sname?: Uint8Array): Uint8Array {
  const base = encodeDhcp4(reply([]));
  const out = new Uint8Array(240 + area.length);
  out.set(base.subarray(0, 240));
  out.set(area, 240);
  if (file) out.set(file, 108);
  if (sname) out.set(sname, 44);
  return out;
}

describe('DHCPv4 codec', () => {
  it('§2.6 worked example: 8f 36 + 54 octets decodes to the two URIs', () => {
    const opt = hex(
      '8f 36 | 00 1d 68 74 74 70 73 3a 2f 2f 73 7a 74 70 2e 65 78 61 6d 70 6c 65 2e 63 6f 6d 3a 38 34 34 33 | 00 15 68 74 74 70 73 3a 2f 2f 5b 32 30 30 31 3a 64 62 38 3a 3a 31 5d',
    );
    const msg = decodeDhcp4(raw(Uint8Array.from([...opt, 255])));
    const v = concatOption(msg.options, DHCP4.SZTP_REDIRECT)!;
    assert.deepEqual(
      parseUriList(v).uris.map((u) => u.uri),
      ['https://sztp.example.com:8443', 'https://[2001:db8::1]'],
    );
  });

  it('AT-27: option 143 split across 3 instances (entry split mid-URI) yields exactly the 2 URIs in order', () => {
    const list = encodeUriList(['https://sztp-one.example.com:8443', 'https://[2001:db8::7]:9443']);
    const a = list.subarray(0, 10);
    const b = list.subarray(10, 40);
    const c = list.subarray(40);
    const area = Uint8Array.from([
      53,
      1,
      5,
      143,
      a.length,
      ...a,
      6,
      8,
      192,
      0,
      2,
      53,
      192,
      0,
      2,
      54,
      143,
      b.length,
      ...b,
      0,
      143,
      c.length,
      ...c,
      255,
    ]);
    const msg = decodeDhcp4(raw(area));
    assert.equal(msg.options.filter((o) => o.code === 143).length, 3);
    assert.deepEqual(
      parseUriList(concatOption(msg.options, 143)!).uris.map((u) => u.uri),
      ['https://sztp-one.example.com:8443', 'https://[2001:db8::7]:9443'],
    );
    assert.deepEqual(addressListOption(msg, DHCP4.DNS), ['192.0.2.53', '192.0.2.54']);
  });

  it('RFC 3396 with option overload: options field, then file, then sname', () => {
    const list = encodeUriList(['https://192.0.2.1:8443', 'https://192.0.2.2']);
    const [a, b, c] = [list.subarray(0, 5), list.subarray(5, 20), list.subarray(20)];
    const area = Uint8Array.from([53, 1, 5, 52, 1, 3, 143, a.length, ...a, 255]);
    const file = Uint8Array.from([143, b.length, ...b, 255]);
    const sname = Uint8Array.from([143, c.length, ...c, 255]);
    const msg = decodeDhcp4(raw(area, file, sname));
    assert.deepEqual(
      msg.options.filter((o) => o.code === 143).map((o) => o.field),
      ['options', 'file', 'sname'],
    );
    assert.deepEqual(
      parseUriList(concatOption(msg.options, 143)!).uris.map((u) => u.host),
      ['192.0.2.1', '192.0.2.2'],
    );
  });

  it('the encoder splits a value over 255 octets into consecutive instances', () => {
    const long = encodeUriList([
      `https://${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example:8443`,
      `https://${'d'.repeat(63)}.${'e'.repeat(63)}.example`,
    ]);
    assert.ok(long.length > 255);
    const msg = decodeDhcp4(
      encodeDhcp4(
        reply([
          { code: 53, data: Uint8Array.of(5) },
          { code: 143, data: long },
        ]),
      ),
    );
    assert.equal(msg.options.filter((o) => o.code === 143).length, 2);
    assert.deepEqual(concatOption(msg.options, 143), long);
    assert.equal(messageType(msg), 5);
  });

  it('rejects malformed messages with SZTP_ERR_DHCP_DECODE', () => {
    assert.throws(() => decodeDhcp4(new Uint8Array(100)), { code: 'SZTP_ERR_DHCP_DECODE' });
    const good = encodeDhcp4(reply([]));
    const noCookie = good.slice();
    noCookie[236] = 0;
    assert.throws(() => decodeDhcp4(noCookie), { code: 'SZTP_ERR_DHCP_DECODE' });
    assert.throws(() => decodeDhcp4(raw(Uint8Array.of(143, 20, 1, 2))), { code: 'SZTP_ERR_DHCP_DECODE' });
    assert.throws(() => decodeDhcp4(raw(Uint8Array.of(143))), { code: 'SZTP_ERR_DHCP_DECODE' });
    assert.throws(() => decodeDhcp4(raw(Uint8Array.of(52, 1, 9, 255))), { code: 'SZTP_ERR_DHCP_DECODE' });
    assert.throws(() => addressListOption(decodeDhcp4(raw(Uint8Array.of(6, 5, 1, 2, 3, 4, 5, 255))), 6), {
      code: 'SZTP_ERR_DHCP_DECODE',
    });
  });

  it('masks to prefix lengths', () => {
    assert.equal(maskToPrefix('255.255.255.0'), 24);
    assert.equal(maskToPrefix('255.255.255.255'), 32);
    assert.equal(maskToPrefix('0.0.0.0'), 0);
    assert.equal(maskToPrefix('255.0.255.0'), undefined);
  });

  it('property: encode → decode round trip (options concatenated per code)', () => {
    const opt = fc.record({ code: fc.integer({ min: 1, max: 254 }), data: fc.uint8Array({ maxLength: 600 }) });
    fc.assert(
      fc.property(fc.array(opt, { maxLength: 6 }), fc.integer({ min: 0, max: 0xffffffff }), (options, xid) => {
        const uniq = options.filter(
          (o, i) => options.findIndex((p) => p.code === o.code) === i && o.code !== DHCP4.OVERLOAD,
        );
        const msg = decodeDhcp4(encodeDhcp4({ ...reply(uniq), xid }));
        assert.equal(msg.xid, xid);
        for (const o of uniq) assert.deepEqual(concatOption(msg.options, o.code) ?? new Uint8Array(0), o.data);
      }),
    );
  });

  it('property: hostile bytes never crash or hang, only SZTP_ERR_DHCP_DECODE', () => {
    const base = encodeDhcp4(reply([]));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.boolean(), (bytes, keepHeader) => {
        const input = keepHeader ? Uint8Array.from([...base.subarray(0, 240), ...bytes]) : bytes;
        try {
          const m = decodeDhcp4(input);
          concatOption(m.options, 143);
        } catch (err) {
          assert.ok(isSztpError(err));
          assert.equal(err.code, 'SZTP_ERR_DHCP_DECODE');
        }
      }),
      { numRuns: 3000 },
    );
  });
});
