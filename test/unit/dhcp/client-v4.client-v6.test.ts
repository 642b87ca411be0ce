/**
 * DHCPv4 and DHCPv6 client state machines against in-process responders on loopback
 * (unprivileged ports): DISCOVER/OFFER/REQUEST/ACK contents (broadcast flag, PRL with 1, 3, 6, 15,
 * 143, client identifier from the serial, same xid), RFC 3396 reassembly, retransmission, NAK,
 * INFORM, hostile replies ignored, deadline (SZTP_ERR_DHCP_TIMEOUT) and abort; DHCPv6
 * Information-Request and Solicit/Advertise/Request/Reply with ORO 136.
 * @module
 */
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import pino from 'pino';
import {
  DHCP4,
  concatOption,
  decodeDhcp4,
  encodeDhcp4,
  messageType,
  type Dhcp4Message,
  type Dhcp4Option,
} from '../../../src/dhcp/codec-v4.ts';
import {
  DHCP6,
  decodeDhcp6,
  encodeDhcp6,
  encodeOptions6,
  getOption6,
  ipv6ToBytes,
  parseIaNa,
  type Dhcp6Message,
} from '../../../src/dhcp/codec-v6.ts';
import { runDhcp4 } from '../../../src/dhcp/client-v4.ts';
import { releaseDhcp4 } from '../../../src/dhcp/release-v4.ts';
import { releaseDhcp6 } from '../../../src/dhcp/release-v6.ts';
import { runDhcp6 } from '../../../src/dhcp/client-v6.ts';
import { encodeUriList, parseUriList } from '../../../src/dhcp/uri-list.ts';

const log = pino({ level: 'silent' });
const MAC = Uint8Array.of(0x02, 0x11, 0x22, 0x33, 0x44, 0x55);
const LIST = encodeUriList([
  'https://192.0.2.1:8443',
  `https://${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example:8443`,
  'https://[2001:db8::1]',
]);
const sockets: Socket[] = [];
after(() => {
  for (const s of sockets) s.close();
});

async function responder(
  type: 'udp4' | 'udp6',
  handler: (buf: Buffer, n: number) => Uint8Array[],
): Promise<{ port: number; seen: Buffer[] }> {
  const s = createSocket(type);
  sockets.push(s);
  const seen: Buffer[] = [];
  s.on('message', (buf: Buffer, rinfo: RemoteInfo) => {
    seen.push(buf);
    for (const out of handler(buf, seen.length)) s.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', r));
  return { port: s.address().port, seen };
}

/** Drops consecutive repeats (retransmits under load) from a list of message types. */
function collapse(types: readonly (number | undefined)[]): (number | undefined)[] {
  return types.filter((t, i) => i === 0 || t !== types[i - 1]);
}

function v4reply(req: Dhcp4Message, type: number, options: Dhcp4Option[]): Uint8Array {
  return encodeDhcp4({
    op: 2,
    xid: req.xid,
    secs: 0,
    flags: req.flags,
    ciaddr: req.ciaddr,
    yiaddr: type === 8 ? '0.0.0.0' : '192.0.2.120',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr: req.chaddr,
    options: [{ code: 53, data: Uint8Array.of(type) }, { code: 54, data: Uint8Array.of(192, 0, 2, 1) }, ...options],
  });
}

/** Splits a value into 3 option-143 instances (RFC 3396). */
function split3(v: Uint8Array): Dhcp4Option[] {
  const a = Math.floor(v.length / 3);
  return [v.subarray(0, a), v.subarray(a, 2 * a), v.subarray(2 * a)].map((data) => ({ code: 143, data }));
}

const v4handler =
  (drop = 0, extra: (m: Dhcp4Message) => Uint8Array[] = () => []): ((buf: Buffer, n: number) => Uint8Array[]) =>
  (buf, n) => {
    const m = decodeDhcp4(buf);
    if (n <= drop) return [];
    const lease = [
      { code: 1, data: Uint8Array.of(255, 255, 255, 0) },
      { code: 3, data: Uint8Array.of(192, 0, 2, 1) },
      { code: 6, data: Uint8Array.of(192, 0, 2, 53, 192, 0, 2, 54, 192, 0, 2, 55) },
      { code: 51, data: Uint8Array.of(0, 0, 14, 16) },
      ...split3(LIST),
    ];
    const t = messageType(m);
    const reply =
      t === 1
        ? v4reply(m, 2, lease)
        : t === 3
          ? v4reply(m, 5, lease)
          : t === 8
            ? v4reply(m, 5, split3(LIST))
            : undefined;
    return [...extra(m), ...(reply ? [reply] : [])];
  };

const v4opts = (port: number, timeoutMs = 3000) => ({
  ifname: 'lo',
  mac: MAC,
  serialNumber: 'SN-0042',
  timeoutMs,
  log,
  initialRetransmitMs: 100,
  transport: { bindAddress: '127.0.0.1', clientPort: 0, serverPort: port, destination: '127.0.0.1' },
});

describe('DHCPv4 client', () => {
  it('DISCOVER/OFFER/REQUEST/ACK: request contents, RFC 3396 reassembly, several DNS servers', async () => {
    // The first DISCOVER goes unanswered, so a retransmit comes before the REQUEST, as it may under
    // load anyway: messages are picked by type, never by position.
    const r = await responder('udp4', v4handler(1));
    const res = await runDhcp4(v4opts(r.port));
    const seen = r.seen.map((b) => decodeDhcp4(b));
    const discover = seen.find((m) => messageType(m) === 1);
    const request = seen.find((m) => messageType(m) === 3);
    assert.equal(messageType(discover!), 1);
    assert.equal(messageType(request!), 3);
    assert.equal(discover!.xid, request!.xid);
    assert.equal(discover!.flags & 0x8000, 0x8000, 'broadcast flag');
    const prl = [...concatOption(discover!.options, DHCP4.PRL)!];
    for (const c of [1, 3, 6, 15, 143]) assert.ok(prl.includes(c), `PRL has ${c}`);
    assert.deepEqual(concatOption(discover!.options, DHCP4.CLIENT_ID), Uint8Array.of(0, ...Buffer.from('SN-0042')));
    assert.deepEqual([...concatOption(request!.options, DHCP4.REQUESTED_IP)!], [192, 0, 2, 120]);
    assert.deepEqual([...concatOption(request!.options, DHCP4.SERVER_ID)!], [192, 0, 2, 1]);
    assert.deepEqual(res.redirect, LIST);
    assert.equal(parseUriList(res.redirect).uris.length, 3);
    assert.deepEqual(res.lease, {
      address: '192.0.2.120',
      prefixLength: 24,
      routers: ['192.0.2.1'],
      serverId: '192.0.2.1',
      leaseSeconds: 3600,
    });
    assert.deepEqual(res.dnsServers, ['192.0.2.53', '192.0.2.54', '192.0.2.55']);
  });

  it('retransmits lost DISCOVERs with backoff, and ignores garbage and foreign xids', async () => {
    const r = await responder(
      'udp4',
      v4handler(2, (m) => [Uint8Array.of(1, 2, 3), v4reply({ ...m, xid: m.xid ^ 1 }, 2, [])]),
    );
    const res = await runDhcp4(v4opts(r.port));
    assert.ok(r.seen.length >= 4);
    assert.equal(messageType(decodeDhcp4(r.seen[2]!)), 1, 'third datagram is still a DISCOVER');
    assert.deepEqual(res.redirect, LIST);
  });

  it('prefers an OFFER carrying option 143 over an earlier one without it', async () => {
    const r = await responder('udp4', (buf) => {
      const m = decodeDhcp4(buf);
      if (messageType(m) !== 1) return v4handler()(buf, 99);
      const plain = encodeDhcp4({
        ...decodeDhcp4(v4reply(m, 2, [])),
        options: [
          { code: 53, data: Uint8Array.of(2) },
          { code: 54, data: Uint8Array.of(192, 0, 2, 9) },
        ],
      });
      return [plain, ...v4handler()(buf, 99)];
    });
    const res = await runDhcp4(v4opts(r.port));
    const request = r.seen.map((b) => decodeDhcp4(b)).find((m) => messageType(m) === 3)!;
    assert.deepEqual([...concatOption(request.options, DHCP4.SERVER_ID)!], [192, 0, 2, 1]);
    assert.deepEqual(res.redirect, LIST);
  });

  it('takes an OFFER without option 143 after the grace period when no other comes', async () => {
    const r = await responder('udp4', (buf) => {
      const m = decodeDhcp4(buf);
      return [v4reply(m, messageType(m) === 1 ? 2 : 5, [])];
    });
    const t0 = Date.now();
    const res = await runDhcp4({ ...v4opts(r.port), offerGraceMs: 150 });
    assert.ok(Date.now() - t0 >= 140);
    assert.equal(res.redirect, undefined);
    assert.equal(res.lease?.address, '192.0.2.120');
  });

  it('DHCPNAK restarts with DISCOVER', async () => {
    let naks = 0;
    const r = await responder('udp4', (buf) => {
      const m = decodeDhcp4(buf);
      if (messageType(m) === 3 && naks++ === 0) return [v4reply(m, 6, [])];
      return v4handler()(buf, 99);
    });
    await runDhcp4(v4opts(r.port));
    assert.deepEqual(collapse(r.seen.map((b) => messageType(decodeDhcp4(b)))), [1, 3, 1, 3], 'retransmits aside');
  });

  it('DHCPINFORM when the interface has an address: ciaddr set, no lease', async () => {
    const r = await responder('udp4', v4handler());
    const res = await runDhcp4({ ...v4opts(r.port), inform: { address: '192.0.2.50', prefixLength: 24 } });
    const inform = decodeDhcp4(r.seen[0]!);
    assert.equal(messageType(inform), 8);
    assert.equal(inform.ciaddr, '192.0.2.50');
    assert.equal(res.lease, undefined);
    assert.deepEqual(res.redirect, LIST);
  });

  it('a server that never answers → SZTP_ERR_DHCP_TIMEOUT at the deadline', async () => {
    const r = await responder('udp4', () => []);
    const t0 = Date.now();
    await assert.rejects(runDhcp4(v4opts(r.port, 700)), { code: 'SZTP_ERR_DHCP_TIMEOUT' });
    const ms = Date.now() - t0;
    assert.ok(ms >= 650 && ms < 2000, `took ${ms} ms`);
    assert.ok(r.seen.length >= 3, 'retransmitted');
  });

  it('DHCPRELEASE goes unicast to the server identifier with ciaddr = the lease', async () => {
    const r = await responder('udp4', () => []);
    await releaseDhcp4({
      lease: { address: '192.0.2.120', prefixLength: 24, routers: [], serverId: '127.0.0.1', leaseSeconds: 60 },
      mac: MAC,
      serialNumber: 'SN-0042',
      log,
      serverPort: r.port,
      clientPort: 0,
    });
    for (let i = 0; i < 50 && r.seen.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
    const m = decodeDhcp4(r.seen[0]!);
    assert.equal(messageType(m), 7);
    assert.equal(m.ciaddr, '192.0.2.120');
    assert.deepEqual([...concatOption(m.options, DHCP4.SERVER_ID)!], [127, 0, 0, 1]);
  });

  it('secure mode: boot-file option 67 and the file field never stand in for option 143', async () => {
    const r = await responder('udp4', (buf) => {
      const m = decodeDhcp4(buf);
      const t = messageType(m);
      const boot = [{ code: DHCP4.BOOTFILE, data: new TextEncoder().encode('http://192.0.2.66/evil.py') }];
      return t === 1 ? [v4reply(m, 2, boot)] : t === 3 ? [v4reply(m, 5, boot)] : [];
    });
    const res = await runDhcp4(v4opts(r.port));
    assert.equal(res.redirect, undefined);
    assert.ok(res.lease);
  });

  it('property: hostile datagrams before the real reply never crash or stall the client', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 5 }),
        fc.boolean(),
        async (junk, keepHeader) => {
          const r = await responder('udp4', (buf, n) => {
            const m = decodeDhcp4(buf);
            const hostile = junk
              .map((j) => (keepHeader ? Uint8Array.from([...v4reply(m, 2, []).subarray(0, 240), ...j]) : j))
              .filter((h) => {
                // Junk that happens to be a well-formed OFFER/ACK/NAK would be a legitimate reply, not hostile input.
                try {
                  return ![2, 5, 6].includes(messageType(decodeDhcp4(h)) ?? 0);
                } catch {
                  return true;
                }
              });
            return [...hostile, ...v4handler()(buf, n)];
          });
          const res = await runDhcp4(v4opts(r.port, 2000));
          assert.deepEqual(res.redirect, LIST);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('abort → SZTP_ERR_ABORTED', async () => {
    const r = await responder('udp4', () => []);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(runDhcp4({ ...v4opts(r.port, 5000), signal: ac.signal }), { code: 'SZTP_ERR_ABORTED' });
  });
});

const V6LIST = encodeUriList(['https://[2001:db8:1::1]:8443', 'http://192.0.2.1']);
function v6reply(req: Dhcp6Message, type: number, withAddr: boolean): Uint8Array {
  const iaaddr = new Uint8Array(24);
  iaaddr.set(ipv6ToBytes('2001:db8:1::150'));
  new DataView(iaaddr.buffer).setUint32(20, 3600);
  const ia = getOption6(req, DHCP6.IA_NA);
  const iaNa =
    ia === undefined || !withAddr
      ? []
      : [
          {
            code: DHCP6.IA_NA,
            data: Uint8Array.from([...ia.subarray(0, 12), ...encodeOptions6([{ code: DHCP6.IAADDR, data: iaaddr }])]),
          },
        ];
  return encodeDhcp6({
    msgType: type,
    transactionId: req.transactionId,
    options: [
      { code: DHCP6.CLIENTID, data: getOption6(req, DHCP6.CLIENTID)! },
      { code: DHCP6.SERVERID, data: Uint8Array.of(0, 3, 0, 1, 1, 2, 3, 4, 5, 6) },
      ...iaNa,
      { code: DHCP6.SZTP_REDIRECT, data: V6LIST },
      {
        code: DHCP6.DNS_SERVERS,
        data: Uint8Array.from([...ipv6ToBytes('2001:db8::53'), ...ipv6ToBytes('2001:db8::54')]),
      },
    ],
  });
}
const v6opts = (port: number, stateless: boolean, timeoutMs = 3000) => ({
  ifname: 'lo',
  mac: MAC,
  stateless,
  timeoutMs,
  log,
  initialRetransmitMs: 100,
  transport: { bindAddress: '::1', clientPort: 0, serverPort: port, destination: '::1' },
});

describe('DHCPv6 client', () => {
  it('Information-Request with ORO 136 → Reply', async () => {
    const r = await responder('udp6', (buf, n) => {
      const m = decodeDhcp6(buf);
      return n === 1 ? [] : [Uint8Array.of(7, 1), v6reply(m, 7, false)];
    });
    const res = await runDhcp6(v6opts(r.port, true));
    const req = decodeDhcp6(r.seen[0]!);
    assert.equal(req.msgType, 11);
    const oro = getOption6(req, DHCP6.ORO)!;
    assert.ok([...Array(oro.length / 2).keys()].some((i) => ((oro[2 * i]! << 8) | oro[2 * i + 1]!) === 136));
    assert.deepEqual(getOption6(req, DHCP6.CLIENTID), Uint8Array.of(0, 3, 0, 1, ...MAC));
    assert.ok(getOption6(req, DHCP6.ELAPSED_TIME));
    assert.deepEqual(res.redirect, V6LIST);
    assert.deepEqual(
      parseUriList(res.redirect, 136).uris.map((u) => u.host),
      ['2001:db8:1::1'],
      'AT-28 through the client',
    );
    assert.deepEqual(res.dnsServers, ['2001:db8::53', '2001:db8::54']);
    assert.equal(res.lease, undefined);
  });

  it('Solicit → Advertise → Request → Reply assigns an address', async () => {
    const r = await responder('udp6', (buf) => {
      const m = decodeDhcp6(buf);
      return [v6reply(m, m.msgType === 1 ? 2 : 7, true)];
    });
    const res = await runDhcp6(v6opts(r.port, false));
    assert.deepEqual(collapse(r.seen.map((b) => decodeDhcp6(b).msgType)), [1, 3], 'retransmits aside');
    const request = r.seen.map((b) => decodeDhcp6(b)).find((m) => m.msgType === 3)!;
    assert.ok(getOption6(request, DHCP6.SERVERID));
    assert.deepEqual(res.lease, {
      address: '2001:db8:1::150',
      prefixLength: 128,
      validLifetime: 3600,
      serverId: Uint8Array.of(0, 3, 0, 1, 1, 2, 3, 4, 5, 6),
      iaid: 0x22334455,
    });
    const rel = await responder('udp6', () => []);
    await releaseDhcp6({
      ifname: 'lo',
      lease: res.lease,
      mac: MAC,
      log,
      transport: { bindAddress: '::1', clientPort: 0, serverPort: rel.port, destination: '::1' },
    });
    for (let i = 0; i < 50 && rel.seen.length === 0; i++) await new Promise((done) => setTimeout(done, 10));
    const release = decodeDhcp6(rel.seen[0]!);
    assert.equal(release.msgType, 8);
    assert.deepEqual(getOption6(release, DHCP6.SERVERID), res.lease.serverId);
    assert.equal(parseIaNa(getOption6(release, DHCP6.IA_NA)!).addresses[0]?.address, '2001:db8:1::150');
  });

  it('no answer → SZTP_ERR_DHCP_TIMEOUT', async () => {
    const r = await responder('udp6', () => []);
    await assert.rejects(runDhcp6(v6opts(r.port, true, 500)), { code: 'SZTP_ERR_DHCP_TIMEOUT' });
  });
});
