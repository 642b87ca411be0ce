/**
 * DHCPv6 codec: §2.6 worked example for option 136, IA_NA/IAADDR, DNS servers, address text
 * round trips, and fast-check properties (round trip, hostile bytes → SZTP_ERR_DHCP_DECODE only).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isSztpError } from '../../../src/errors.ts';
import {
  DHCP6,
  bytesToIpv6,
  decodeDhcp6,
  decodeOptions6,
  dnsServers6,
  encodeDhcp6,
  encodeIaNa,
  encodeOptions6,
  getOption6,
  ipv6ToBytes,
  parseIaNa,
} from '../../../src/dhcp/codec-v6.ts';
import { parseUriList } from '../../../src/dhcp/uri-list.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/[\s|]/g, ''), 'hex'));

describe('DHCPv6 codec', () => {
  it('§2.6 worked example: 00 88 00 36 + 54 octets inside a Reply', () => {
    const opt = hex(
      '00 88 00 36 | 00 1d 68 74 74 70 73 3a 2f 2f 73 7a 74 70 2e 65 78 61 6d 70 6c 65 2e 63 6f 6d 3a 38 34 34 33 | 00 15 68 74 74 70 73 3a 2f 2f 5b 32 30 30 31 3a 64 62 38 3a 3a 31 5d',
    );
    const msg = decodeDhcp6(Uint8Array.from([7, 0xab, 0xcd, 0xef, ...opt]));
    assert.equal(msg.msgType, 7);
    assert.equal(msg.transactionId, 0xabcdef);
    const v = getOption6(msg, DHCP6.SZTP_REDIRECT)!;
    assert.deepEqual(
      parseUriList(v, 136).uris.map((u) => u.uri),
      ['https://sztp.example.com:8443', 'https://[2001:db8::1]'],
    );
  });

  it('parses IA_NA with an IAADDR and skips addresses with a failure status', () => {
    const addr = ipv6ToBytes('2001:db8:1::150');
    const iaaddr = new Uint8Array(24);
    iaaddr.set(addr);
    new DataView(iaaddr.buffer).setUint32(16, 1800);
    new DataView(iaaddr.buffer).setUint32(20, 3600);
    const ia = new Uint8Array(12);
    new DataView(ia.buffer).setUint32(0, 7);
    const data = Uint8Array.from([...ia, ...encodeOptions6([{ code: DHCP6.IAADDR, data: iaaddr }])]);
    assert.deepEqual(parseIaNa(data), {
      iaid: 7,
      t1: 0,
      t2: 0,
      addresses: [{ address: '2001:db8:1::150', preferredLifetime: 1800, validLifetime: 3600 }],
    });
    const failed = Uint8Array.from([
      ...iaaddr,
      ...encodeOptions6([{ code: DHCP6.STATUS_CODE, data: Uint8Array.of(0, 2) }]),
    ]);
    assert.deepEqual(
      parseIaNa(Uint8Array.from([...ia, ...encodeOptions6([{ code: DHCP6.IAADDR, data: failed }])])).addresses,
      [],
    );
    assert.equal(parseIaNa(encodeIaNa(9, [addr])).addresses[0]?.address, '2001:db8:1::150');
  });

  it('reads several DNS servers', () => {
    const dns = Uint8Array.from([...ipv6ToBytes('2001:db8::53'), ...ipv6ToBytes('2001:db8::54')]);
    const msg = decodeDhcp6(
      encodeDhcp6({ msgType: 7, transactionId: 1, options: [{ code: DHCP6.DNS_SERVERS, data: dns }] }),
    );
    assert.deepEqual(dnsServers6(msg), ['2001:db8::53', '2001:db8::54']);
  });

  it('formats and parses IPv6 text (RFC 5952 compression)', () => {
    for (const a of ['::', '::1', 'fe80::1:2:3:4', '2001:db8::', '2001:db8:0:1:1:1:1:1', '1:0:0:2::3']) {
      assert.equal(bytesToIpv6(ipv6ToBytes(a)), a);
    }
    assert.throws(() => ipv6ToBytes('1::2::3'), { code: 'SZTP_ERR_DHCP_DECODE' });
    assert.throws(() => ipv6ToBytes('1:2:3'), { code: 'SZTP_ERR_DHCP_DECODE' });
  });

  it('rejects truncated and relay messages with SZTP_ERR_DHCP_DECODE', () => {
    assert.throws(() => decodeDhcp6(Uint8Array.of(7, 0, 0)), { code: 'SZTP_ERR_DHCP_DECODE' });
    assert.throws(() => decodeDhcp6(Uint8Array.of(7, 0, 0, 1, 0, 136, 0, 10, 1)), { code: 'SZTP_ERR_DHCP_DECODE' });
    assert.throws(() => decodeDhcp6(Uint8Array.of(7, 0, 0, 1, 0, 136)), { code: 'SZTP_ERR_DHCP_DECODE' });
    assert.throws(() => decodeDhcp6(Uint8Array.of(13, 0, 0, 1)), { code: 'SZTP_ERR_DHCP_DECODE' });
  });

  it('property: message round trip', () => {
    const opt = fc.record({ code: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ maxLength: 300 }) });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 0, max: 0xffffff }),
        fc.array(opt, { maxLength: 8 }),
        (msgType, transactionId, options) => {
          const plain = options.map((o) => ({ code: o.code, data: o.data }));
          assert.deepEqual(decodeDhcp6(encodeDhcp6({ msgType, transactionId, options: plain })), {
            msgType,
            transactionId,
            options: plain,
          });
        },
      ),
    );
  });

  it('property: hostile bytes never crash, only SZTP_ERR_DHCP_DECODE', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          const m = decodeDhcp6(bytes);
          for (const o of m.options) {
            if (o.code === DHCP6.IA_NA) parseIaNa(o.data);
            if (o.code === DHCP6.STATUS_CODE) decodeOptions6(o.data);
          }
          dnsServers6(m);
        } catch (err) {
          assert.ok(isSztpError(err));
          assert.equal(err.code, 'SZTP_ERR_DHCP_DECODE');
        }
      }),
      { numRuns: 3000 },
    );
  });
});
