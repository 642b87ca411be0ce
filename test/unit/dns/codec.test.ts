/**
 * DNS codec (RFC 1035 §4, §4.1.4 compression; RFC 2782 SRV; TXT §3.3.14): worked bytes, name
 * compression, hostile input (pointer loops, forward pointers, truncation, oversized names and
 * counts), and fast-check properties: encode → decode round trip, and decode of arbitrary or
 * mutated bytes never throws anything but SZTP_ERR_DNS_DECODE.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isSztpError } from '../../../src/errors.ts';
import { DNS_TYPE, decodeDnsMessage, encodeDnsMessage, sameName, type RecordInput } from '../../../src/dns/codec.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

function throwsDecode(bytes: Uint8Array, pattern?: RegExp): void {
  assert.throws(
    () => decodeDnsMessage(bytes),
    (e: unknown) =>
      isSztpError(e) && e.code === 'SZTP_ERR_DNS_DECODE' && (pattern === undefined || pattern.test(e.message)),
  );
}

describe('DNS codec', () => {
  it('encodes a TXT query exactly as RFC 1035 lays it out', () => {
    const q = encodeDnsMessage({
      id: 0x1234,
      rd: true,
      questions: [{ name: 'SN1._sztp.example.com', type: DNS_TYPE.TXT, qclass: 1 }],
    });
    assert.deepEqual(
      Buffer.from(q).toString('hex'),
      '1234' +
        '0100' +
        '0001' +
        '0000' +
        '0000' +
        '0000' +
        '03534e31' +
        '055f737a7470' +
        '076578616d706c65' +
        '03636f6d' +
        '00' +
        '0010' +
        '0001',
    );
  });

  it('compresses repeated suffixes and decodes them back (case-insensitive reuse)', () => {
    const msg = encodeDnsMessage({
      id: 7,
      qr: true,
      aa: true,
      questions: [{ name: '_sztp._tcp.example.com', type: DNS_TYPE.SRV, qclass: 1 }],
      answers: [
        {
          name: '_sztp._tcp.EXAMPLE.com',
          type: DNS_TYPE.SRV,
          ttl: 60,
          srv: { priority: 1, weight: 5, port: 8443, target: 'bs.example.com' },
        },
      ],
      additionals: [
        { name: 'bs.example.com', type: DNS_TYPE.A, ttl: 60, address: '192.0.2.7' },
        { name: 'bs.example.com', type: DNS_TYPE.AAAA, address: '2001:db8::7' },
      ],
    });
    // The answer's owner name is one pointer to offset 12.
    assert.equal(Buffer.from(msg).indexOf(Buffer.from([0xc0, 12])) > 12, true);
    const d = decodeDnsMessage(msg);
    assert.equal(d.qr, true);
    assert.equal(d.aa, true);
    assert.equal(d.answers[0]?.name, '_sztp._tcp.example.com');
    assert.deepEqual(d.answers[0]?.srv, { priority: 1, weight: 5, port: 8443, target: 'bs.example.com' });
    assert.equal(d.additionals[0]?.address, '192.0.2.7');
    assert.equal(d.additionals[1]?.address, '2001:db8::7');
  });

  it('decodes a TXT record into its character-strings, binary octets intact', () => {
    const strings = [Uint8Array.of(0, 1, 2, 0xff), new Uint8Array(0), new Uint8Array(255).fill(0x41)];
    const d = decodeDnsMessage(
      encodeDnsMessage({ id: 1, qr: true, answers: [{ name: 'x._sztp.local', type: DNS_TYPE.TXT, txt: strings }] }),
    );
    assert.deepEqual(
      d.answers[0]?.txt?.map((s) => Buffer.from(s).toString('hex')),
      strings.map((s) => Buffer.from(s).toString('hex')),
    );
  });

  it('follows a compression pointer inside SRV RDATA (a server may compress the target)', () => {
    // header, question _sztp._tcp.local SRV; answer name ptr→12, SRV rdata target = "bs" + ptr to "local" (offset 23)
    const question = hex('055f737a7470 045f746370 056c6f63616c 00 0021 0001');
    const header = hex('0001 8400 0001 0001 0000 0000');
    const rdata = hex('0000 0000 20fb 02 6273 c017');
    const answer = Buffer.concat([hex('c00c 0021 0001 00000078'), Buffer.from([0, rdata.length]), rdata]);
    const d = decodeDnsMessage(Buffer.concat([header, question, answer]));
    assert.deepEqual(d.answers[0]?.srv, { priority: 0, weight: 0, port: 8443, target: 'bs.local' });
  });

  it('refuses compression loops, forward pointers and self-pointers', () => {
    throwsDecode(hex('0001 8000 0001 0000 0000 0000 c00c 0010 0001'), /backwards/);
    throwsDecode(hex('0001 8000 0001 0000 0000 0000 c00e 0010 0001'), /backwards/);
    // A long chain of backward pointers (each to the previous one) is bounded.
    const start = 12 + 11; // record 1: root name, type 99, class, ttl, rdlength; then its rdata
    const rdata = [0];
    for (let i = 0; i < 100; i++) rdata.push(0xc0, i === 0 ? start : start + 1 + 2 * (i - 1));
    const last = start + 1 + 2 * 99;
    throwsDecode(
      Uint8Array.from([
        0,
        1,
        0x80,
        0,
        0,
        0,
        0,
        2,
        0,
        0,
        0,
        0,
        0,
        0,
        99,
        0,
        1,
        0,
        0,
        0,
        0,
        rdata.length >> 8,
        rdata.length & 0xff,
        ...rdata,
        0xc0 | (last >> 8),
        last & 0xff,
        0,
        16,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
      ]),
      /too many compression pointers/,
    );
  });

  it('refuses truncated messages, records running past the end and absurd counts', () => {
    throwsDecode(new Uint8Array(5), /shorter than a header/);
    const good = encodeDnsMessage({
      id: 1,
      qr: true,
      answers: [{ name: 'a.local', type: DNS_TYPE.TXT, txt: [Buffer.from('ci=x')] }],
    });
    for (let cut = 12; cut < good.length; cut++) throwsDecode(good.subarray(0, cut));
    throwsDecode(hex('0001 8000 0000 ffff ffff 0000'), /records/);
    // TXT character-string longer than its record
    throwsDecode(
      Buffer.concat([hex('0001 8000 0000 0001 0000 0000 00 0010 0001 00000000 0002 05 41')]),
      /character-string/,
    );
  });

  it('refuses names over 255 octets on the wire and on encode', () => {
    const long = Array.from({ length: 5 }, () => 'a'.repeat(63)).join('.');
    assert.throws(
      () => encodeDnsMessage({ id: 1, questions: [{ name: long, type: 16, qclass: 1 }] }),
      (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_DNS_NAME',
    );
    const labels = Buffer.concat(
      Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)])),
    );
    throwsDecode(Buffer.concat([hex('0001 8000 0001 0000 0000 0000'), labels, hex('00 0010 0001')]), /255/);
  });

  it('compares names case-insensitively for ASCII only (RFC 4343)', () => {
    assert.equal(sameName('SN1._SZTP.Local.', 'sn1._sztp.local'), true);
    assert.equal(sameName('\u00c9.local', '\u00e9.local'), false);
  });

  const label = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
  const nameArb = fc.array(label, { minLength: 1, maxLength: 5 }).map((ls) => ls.join('.'));
  const recordArb: fc.Arbitrary<RecordInput> = fc.oneof(
    fc.record({
      name: nameArb,
      type: fc.constant(DNS_TYPE.TXT),
      ttl: fc.nat(),
      txt: fc.array(fc.uint8Array({ maxLength: 255 }), { maxLength: 6 }),
    }),
    fc.record({
      name: nameArb,
      type: fc.constant(DNS_TYPE.SRV),
      ttl: fc.nat(),
      srv: fc.record({ priority: fc.nat(0xffff), weight: fc.nat(0xffff), port: fc.nat(0xffff), target: nameArb }),
    }),
    fc.record({ name: nameArb, type: fc.constant(DNS_TYPE.A), ttl: fc.nat(), address: fc.ipV4() }),
  );

  it('property: encode → decode returns the same records (names lower-cased compare)', () => {
    fc.assert(
      fc.property(fc.nat(0xffff), fc.array(recordArb, { maxLength: 8 }), (id, answers) => {
        const d = decodeDnsMessage(encodeDnsMessage({ id, qr: true, answers }));
        assert.equal(d.id, id);
        assert.equal(d.answers.length, answers.length);
        answers.forEach((r, i) => {
          const got = d.answers[i];
          assert.ok(got !== undefined && sameName(got.name, r.name));
          if (r.txt !== undefined)
            assert.deepEqual(
              got.txt?.map((s) => Buffer.from(s).toString('hex')),
              r.txt.map((s) => Buffer.from(s).toString('hex')),
            );
          if (r.srv !== undefined)
            assert.deepEqual(
              { ...got.srv, target: got.srv?.target.toLowerCase() },
              { ...r.srv, target: r.srv.target.toLowerCase() },
            );
          if (r.address !== undefined) assert.equal(got.address, r.address);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('property: decoding arbitrary or mutated bytes never throws anything but SZTP_ERR_DNS_DECODE', () => {
    const base = encodeDnsMessage({
      id: 3,
      qr: true,
      answers: [
        { name: 'sn._sztp.local', type: DNS_TYPE.TXT, txt: [Buffer.from('ci=abc')] },
        { name: '_sztp._tcp.local', type: DNS_TYPE.SRV, srv: { priority: 0, weight: 0, port: 1, target: 'a.local' } },
      ],
    });
    const mutated = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }).map((ms) => {
      const b = Uint8Array.from(base);
      for (const [at, v] of ms) b[at % b.length] = v;
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), mutated), (bytes) => {
        try {
          decodeDnsMessage(bytes);
        } catch (e) {
          assert.ok(isSztpError(e) && e.code === 'SZTP_ERR_DNS_DECODE', String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
