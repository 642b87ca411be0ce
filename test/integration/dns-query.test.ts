/**
 * Unicast DNS queries on real sockets (src/dns/query.ts) against a scripted responder on
 * loopback: replies with a wrong ID, to another question or from another port are ignored; a
 * truncated UDP answer is asked again over TCP (RFC 7766, C-034) and a 20 kB TXT record arrives
 * whole; silence ends at the deadline (SZTP_ERR_DNS_TIMEOUT); abort ends the wait at once.
 * @module
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { isSztpError } from '../../src/errors.ts';
import { DNS_TYPE, decodeDnsMessage, encodeDnsMessage, type DnsMessage } from '../../src/dns/codec.ts';
import { queryUnicast } from '../../src/dns/query.ts';

type Script = (q: DnsMessage, send: (m: Uint8Array, port?: number) => void) => void;

async function udpResponder(script: Script, port = 0): Promise<{ port: number; sock: Socket }> {
  const sock = createSocket('udp4');
  const other = createSocket('udp4');
  await new Promise<void>((r, reject) => {
    sock.once('error', reject);
    sock.bind(port, '127.0.0.1', r);
  }).catch((err: unknown) => {
    sock.close();
    other.close();
    throw err;
  });
  await new Promise<void>((r) => {
    other.bind(0, '127.0.0.1', r);
  });
  sock.on('message', (msg, rinfo) => {
    script(decodeDnsMessage(msg), (m, fromOther) => {
      (fromOther === undefined ? sock : other).send(m, rinfo.port, rinfo.address);
    });
  });
  sock.on('close', () => {
    other.close();
  });
  return { port: sock.address().port, sock };
}

const answer = (
  q: DnsMessage,
  over: { id?: number; name?: string; tc?: boolean; txt?: Uint8Array[] } = {},
): Uint8Array => {
  const name = over.name ?? q.questions[0]?.name ?? '';
  return encodeDnsMessage({
    id: over.id ?? q.id,
    qr: true,
    tc: over.tc ?? false,
    questions: [{ name, type: DNS_TYPE.TXT, qclass: 1 }],
    answers: [{ name, type: DNS_TYPE.TXT, txt: over.txt ?? [Buffer.from('ci=x')] }],
  });
};

describe('unicast DNS query (real sockets on loopback)', () => {
  const open: { close: () => void }[] = [];
  after(() => {
    for (const o of open) o.close();
  });

  it('ignores a wrong ID, another question and another source port; takes the matching reply', async () => {
    let ignored: string[] = [];
    const r = await udpResponder((q, send) => {
      send(answer(q, { id: (q.id + 1) & 0xffff }));
      send(answer(q, { name: 'other._sztp.example.test' }));
      send(answer(q, { txt: [Buffer.from('ci=spoofed')] }), 1);
      setTimeout(() => {
        send(answer(q));
      }, 50);
    });
    open.push(r.sock);
    const m = await queryUnicast({
      server: { host: '127.0.0.1', port: r.port },
      name: 'SN1._sztp.example.test',
      type: DNS_TYPE.TXT,
      deadline: Date.now() + 3000,
      signal: new AbortController().signal,
      onIgnored: (why) => {
        ignored = [...ignored, why];
      },
    });
    assert.deepEqual(
      m.answers[0]?.txt?.map((s) => Buffer.from(s).toString()),
      ['ci=x'],
    );
    assert.equal(ignored.length, 2, ignored.join('; ')); // the third never reaches a connected socket
  });

  it('a truncated answer is asked again over TCP; a 20 kB TXT record arrives whole', async () => {
    const big = Array.from({ length: 80 }, (_, i) => new Uint8Array(255).fill(i));
    const tcp: Server = createServer((c) => {
      let buf = Buffer.alloc(0);
      c.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        const m = answer(decodeDnsMessage(buf.subarray(2)), { txt: big });
        const len = Buffer.alloc(2);
        len.writeUInt16BE(m.length);
        c.end(Buffer.concat([len, m]));
      });
    });
    // TCP on a free port first, then UDP on the same number (a DNS server answers on both); retried
    // when another process holds that UDP port.
    await new Promise<void>((res) => {
      tcp.listen(0, '127.0.0.1', res);
    });
    open.push(tcp);
    const truncated: Script = (q, send) => {
      send(encodeDnsMessage({ id: q.id, qr: true, tc: true, questions: q.questions }));
    };
    let r: Awaited<ReturnType<typeof udpResponder>> | undefined;
    for (let attempt = 0; r === undefined; attempt++) {
      try {
        r = await udpResponder(truncated, (tcp.address() as AddressInfo).port);
      } catch (err) {
        if (attempt >= 10) throw err;
        await new Promise<void>((res) => {
          tcp.close(() => {
            tcp.listen(0, '127.0.0.1', res);
          });
        });
      }
    }
    open.push(r.sock);
    const m = await queryUnicast({
      server: { host: '127.0.0.1', port: (tcp.address() as AddressInfo).port },
      name: 'SN1._sztp.example.test',
      type: DNS_TYPE.TXT,
      deadline: Date.now() + 3000,
      signal: new AbortController().signal,
    });
    assert.equal(m.answers[0]?.txt?.length, 80);
    assert.equal(m.answers[0]?.txt?.[79]?.[0], 79);
  });

  it('silence ends at the deadline with SZTP_ERR_DNS_TIMEOUT', async () => {
    const r = await udpResponder(() => undefined);
    open.push(r.sock);
    const t0 = Date.now();
    await assert.rejects(
      queryUnicast({
        server: { host: '127.0.0.1', port: r.port },
        name: 'a.test',
        type: DNS_TYPE.TXT,
        deadline: Date.now() + 300,
        signal: new AbortController().signal,
      }),
      (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_DNS_TIMEOUT',
    );
    assert.ok(Date.now() - t0 < 2000);
  });

  it('abort ends the wait at once with SZTP_ERR_ABORTED', async () => {
    const r = await udpResponder(() => undefined);
    open.push(r.sock);
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => {
      ac.abort();
    }, 50);
    await assert.rejects(
      queryUnicast({
        server: { host: '127.0.0.1', port: r.port },
        name: 'a.test',
        type: DNS_TYPE.TXT,
        deadline: Date.now() + 60_000,
        signal: ac.signal,
      }),
      (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_ABORTED',
    );
    assert.ok(Date.now() - t0 < 1000);
  });
});
