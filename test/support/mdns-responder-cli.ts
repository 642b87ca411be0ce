/**
 * TEST DOUBLE: a minimal multicast DNS responder for the DNS system test (no Debian mDNS responder
 * can publish records under the bare RFC 8572 names: avahi's service files put SRV records at
 * `<instance>._sztp._tcp.local.` and cannot hold binary TXT data). It joins 224.0.0.251 on one
 * IPv4 address (or ff02::fb on one interface, when given an interface name), listens on port 5353 and answers queries for the names in a JSON file the way RFC 6762
 * §6.7 says a responder answers a one-shot ("legacy unicast") query: by unicast to the querier's
 * address and port, from port 5353, echoing the query ID and repeating the question, with the
 * A records of SRV targets in the additional section (§12.2).
 *
 *   node --import tsx test/support/mdns-responder-cli.ts <records.json> <IPv4 address | ifname for IPv6>
 *
 * records.json: `{ "txt": { "<name>": ["<hex string>", …] }, "srv": { "<name>": [{ "priority", "weight",
 * "port", "target" }] }, "a": { "<name>": "<IPv4 or IPv6 address>" } }`. Prints `mdns responder ready` on stdout,
 * then one `query <name> <type>` line per question seen.
 * @module
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { DNS_TYPE, decodeDnsMessage, encodeDnsMessage, type RecordInput } from '../../src/dns/codec.ts';

interface Records {
  readonly txt?: Record<string, string[]>;
  readonly srv?: Record<string, { priority: number; weight: number; port: number; target: string }[]>;
  readonly a?: Record<string, string>;
}

const [file, where] = process.argv.slice(2);
if (file === undefined || where === undefined) {
  process.stderr.write('usage: mdns-responder-cli.ts <records.json> <IPv4 address | ifname for IPv6>\n');
  process.exit(2);
}
const ipv6 = !/^\d+\.\d+\.\d+\.\d+$/.test(where);
const records = JSON.parse(readFileSync(file, 'utf8')) as Records;
const lower = (n: string): string => n.toLowerCase().replace(/\.$/, '');
const socket = createSocket({ type: ipv6 ? 'udp6' : 'udp4', reuseAddr: true, ipv6Only: ipv6 });
socket.on('message', (msg, rinfo) => {
  let q;
  try {
    q = decodeDnsMessage(msg);
  } catch {
    return;
  }
  if (q.qr) return;
  for (const question of q.questions) {
    const name = lower(question.name);
    process.stdout.write(`query ${name} ${question.type}\n`);
    const answers: RecordInput[] = [];
    const additionals: RecordInput[] = [];
    if (question.type === DNS_TYPE.TXT) {
      for (const [n, strings] of Object.entries(records.txt ?? {})) {
        if (lower(n) === name)
          answers.push({
            name: n,
            type: DNS_TYPE.TXT,
            rclass: 1,
            ttl: 10,
            txt: strings.map((h) => Buffer.from(h, 'hex')),
          });
      }
    }
    if (question.type === DNS_TYPE.SRV) {
      for (const [n, set] of Object.entries(records.srv ?? {})) {
        if (lower(n) !== name) continue;
        for (const srv of set) {
          answers.push({ name: n, type: DNS_TYPE.SRV, rclass: 1, ttl: 10, srv });
          const a = records.a?.[srv.target];
          if (a !== undefined)
            additionals.push({
              name: srv.target,
              type: a.includes(':') ? DNS_TYPE.AAAA : DNS_TYPE.A,
              rclass: 1,
              ttl: 10,
              address: a,
            });
        }
      }
    }
    if (answers.length === 0) continue;
    // §6.7: legacy unicast reply: same ID, question repeated, sent to the querier's port.
    const reply = encodeDnsMessage({
      id: q.id,
      qr: true,
      aa: true,
      questions: [{ name: question.name, type: question.type, qclass: 1 }],
      answers,
      additionals,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  }
});
socket.bind(5353, () => {
  if (ipv6) socket.addMembership('ff02::fb', `::%${where}`);
  else socket.addMembership('224.0.0.251', where);
  process.stdout.write('mdns responder ready\n');
});
process.on('SIGTERM', () => {
  socket.close();
  process.exit(0);
});
