/**
 * The DNS fetcher's logic (RFC 8572 §4.2) with fake DNS answers, a fake validator and a recording
 * BootstrapClient: question order (device-specific TXT before SRV, mDNS before unicast: C-028,
 * C-029, C-030), trust decisions through admit(…, 'dns') (signed applied, unsigned onboarding
 * refused, SRV followed untrusted: C-027, C-031), records for another name ignored, malformed TXT
 * and server errors coded, resolv.conf defaults, abort.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { SztpError, isSztpError } from '../../../src/errors.ts';
import type { AgentConfig } from '../../../src/config/types.ts';
import type { BootstrapClient, FetchContext, OnboardingSource } from '../../../src/contracts/fetch.ts';
import {
  DNS_TYPE,
  decodeDnsMessage,
  encodeDnsMessage,
  type DnsMessage,
  type RecordInput,
} from '../../../src/dns/codec.ts';
import { encodeSztpTxt } from '../../../src/dns/txt.ts';
import { createDnsFetcher, type DnsFetcherDeps } from '../../../src/fetchers/dns.ts';
import type { BootstrappingArtifacts, RedirectInformation, ValidatedConveyedInformation } from '../../../src/types.ts';

const DER = (tag: number): Uint8Array => Uint8Array.of(0x30, 3, tag, tag, tag);
const SIGNED = encodeSztpTxt({ conveyedInformation: DER(1), ownerCertificate: DER(2), ownershipVoucher: DER(3) });
const UNSIGNED = encodeSztpTxt({ conveyedInformation: DER(1) });

type Zone = Record<string, RecordInput[] | 'servfail'>;

function reply(name: string, type: number, zone: Zone): DnsMessage {
  const z = zone[`${type === DNS_TYPE.TXT ? 'TXT' : 'SRV'} ${name}`];
  if (z === 'servfail')
    return decodeDnsMessage(encodeDnsMessage({ id: 1, qr: true, rcode: 2, questions: [{ name, type, qclass: 1 }] }));
  const answers = (z ?? []).filter((r) => r.type !== DNS_TYPE.A);
  const additionals = (z ?? []).filter((r) => r.type === DNS_TYPE.A);
  return decodeDnsMessage(
    encodeDnsMessage({
      id: 1,
      qr: true,
      rcode: z === undefined ? 3 : 0,
      questions: [{ name, type, qclass: 1 }],
      answers,
      additionals,
    }),
  );
}

interface Harness {
  ctx: FetchContext;
  asked: string[];
  validated: BootstrappingArtifacts[];
  follows: { redirect: RedirectInformation; trusted: boolean; description: string }[];
  abort: AbortController;
}

function harness(dns: Partial<AgentConfig['dns']>, serial = 'SN1', redirectInTxt = false): Harness {
  const abort = new AbortController();
  const h: Harness = { asked: [], validated: [], follows: [], abort, ctx: undefined as unknown as FetchContext };
  h.ctx = {
    config: {
      interfaces: { mgmt: 'eth0', dport: [] },
      dns: {
        mdns: true,
        domains: ['example.test'],
        servers: ['192.0.2.53'],
        timeoutSeconds: 1,
        resolvConf: '/r',
        ...dns,
      },
    } as unknown as AgentConfig,
    log: pino({ level: 'silent' }),
    signal: abort.signal,
    identity: { serialNumber: serial },
    now: () => new Date(),
    trustContext: () => ({}) as never,
    validate: (a: BootstrappingArtifacts) => {
      h.validated.push(a);
      const signed = a.ownershipVoucher !== undefined;
      const base = { signed, json: {}, digest: 'd' };
      return Promise.resolve(
        (redirectInTxt
          ? {
              ...base,
              kind: 'redirect-information',
              redirect: { bootstrapServers: [{ address: 'txt.example', port: 1 }] },
            }
          : { ...base, kind: 'onboarding-information', onboarding: {} }) as ValidatedConveyedInformation,
      );
    },
    bootstrap: {
      followRedirect(
        redirect: RedirectInformation,
        trusted: boolean,
        _ctx: FetchContext,
        origin: { fetcher: string; description: string },
      ) {
        h.follows.push({ redirect, trusted, description: origin.description });
        return Promise.resolve({
          fetcher: 'DNS',
          description: `server via ${origin.description}`,
          trustedServer: false,
        } as unknown as OnboardingSource);
      },
    } satisfies BootstrapClient,
  } as unknown as FetchContext;
  return h;
}

function deps(h: Harness, mdns: Zone, unicast: Zone, over: Partial<DnsFetcherDeps> = {}): Partial<DnsFetcherDeps> {
  return {
    interfaceAddresses: () => [{ family: 'IPv4', address: '192.0.2.10', prefix: 24 }],
    readText: () => Promise.resolve('nameserver 198.51.100.1\nsearch from-resolv.test\n'),
    random: () => 0,
    queryMdns: (q) => {
      h.asked.push(`mdns ${q.ifname} ${q.type === DNS_TYPE.TXT ? 'TXT' : 'SRV'} ${q.name}`);
      const z = mdns[`${q.type === DNS_TYPE.TXT ? 'TXT' : 'SRV'} ${q.name}`];
      return z === undefined
        ? Promise.reject(new SztpError('SZTP_ERR_DNS_TIMEOUT', 'no answer'))
        : Promise.resolve(reply(q.name, q.type, mdns));
    },
    queryUnicast: (q) => {
      h.asked.push(`dns ${q.server.host}:${q.server.port} ${q.type === DNS_TYPE.TXT ? 'TXT' : 'SRV'} ${q.name}`);
      return Promise.resolve(reply(q.name, q.type, unicast));
    },
    ...over,
  };
}

const txt = (name: string, strings: Uint8Array[]): RecordInput => ({ name, type: DNS_TYPE.TXT, txt: strings });
const srv = (name: string, target: string, priority: number, port = 8443): RecordInput => ({
  name,
  type: DNS_TYPE.SRV,
  srv: { priority, weight: 0, port, target },
});

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => isSztpError(e) && e.code === code);
}

describe('DNS fetcher', () => {
  it('asks device-specific TXT (mDNS, then unicast per domain) before SRV (mDNS, then unicast), C-028/C-029/C-030', async () => {
    const h = harness({ domains: ['a.test', 'b.test'] });
    await rejects(createDnsFetcher(deps(h, {}, {})).fetch(h.ctx), 'SZTP_ERR_DNS_NO_RECORD');
    assert.deepEqual(h.asked, [
      'mdns eth0 TXT SN1._sztp.local',
      'dns 192.0.2.53:53 TXT SN1._sztp.a.test',
      'dns 192.0.2.53:53 TXT SN1._sztp.b.test',
      'mdns eth0 SRV _sztp._tcp.local',
      'dns 192.0.2.53:53 SRV _sztp._tcp.a.test',
      'dns 192.0.2.53:53 SRV _sztp._tcp.b.test',
    ]);
  });

  it('applies signed onboarding information from the mDNS TXT record, and asks nothing more', async () => {
    const h = harness({});
    const s = await createDnsFetcher(deps(h, { 'TXT SN1._sztp.local': [txt('SN1._sztp.local', SIGNED)] }, {})).fetch(
      h.ctx,
    );
    assert.equal(s.fetcher, 'DNS');
    assert.equal(s.description, 'mdns:eth0');
    assert.equal(s.trustedServer, false);
    assert.deepEqual(
      h.validated.map((a) => Object.keys(a).sort()),
      [['conveyedInformation', 'ownerCertificate', 'ownershipVoucher']],
    );
    assert.deepEqual(h.asked, ['mdns eth0 TXT SN1._sztp.local']);
  });

  it('refuses unsigned onboarding information from TXT (C-027) and then tries the SRV records, provisionally (C-031)', async () => {
    const h = harness({ mdns: false });
    const s = await createDnsFetcher(
      deps(
        h,
        {},
        {
          'TXT SN1._sztp.example.test': [txt('SN1._sztp.example.test', UNSIGNED)],
          'SRV _sztp._tcp.example.test': [
            srv('_sztp._tcp.example.test', 'b.example.test', 20),
            srv('_sztp._tcp.example.test', 'a.example.test', 10, 443),
            { name: 'a.example.test', type: DNS_TYPE.A, address: '192.0.2.80' },
          ],
        },
      ),
    ).fetch(h.ctx);
    assert.equal(s.description, 'server via dns:_sztp._tcp.example.test');
    assert.deepEqual(h.follows, [
      {
        trusted: false,
        description: 'dns:_sztp._tcp.example.test',
        redirect: {
          bootstrapServers: [
            { address: '192.0.2.80', port: 443 },
            { address: 'b.example.test', port: 8443 },
          ],
        },
      },
    ]);
  });

  it('an unsigned TXT alone ends in SZTP_ERR_CONVEYED_UNSIGNED (nothing applied)', async () => {
    const h = harness({ mdns: false });
    await rejects(
      createDnsFetcher(deps(h, {}, { 'TXT SN1._sztp.example.test': [txt('SN1._sztp.example.test', UNSIGNED)] })).fetch(
        h.ctx,
      ),
      'SZTP_ERR_CONVEYED_UNSIGNED',
    );
    assert.deepEqual(h.follows, []);
  });

  it('follows signed redirect information from TXT with its trust anchors', async () => {
    const h = harness({ mdns: false }, 'SN1', true);
    await createDnsFetcher(
      deps(h, {}, { 'TXT SN1._sztp.example.test': [txt('SN1._sztp.example.test', SIGNED)] }),
    ).fetch(h.ctx);
    assert.deepEqual(
      h.follows.map((f) => f.trusted),
      [true],
    );
  });

  it('follows unsigned redirect information from TXT provisionally: anchors discarded (C-027: processable provisionally)', async () => {
    const h = harness({ mdns: false }, 'SN1', true);
    await createDnsFetcher(
      deps(h, {}, { 'TXT SN1._sztp.example.test': [txt('SN1._sztp.example.test', UNSIGNED)] }),
    ).fetch(h.ctx);
    assert.deepEqual(
      h.follows.map((f) => f.trusted),
      [false],
    );
  });

  it('ignores records for another serial (another owner name in the answer)', async () => {
    const h = harness({ mdns: false });
    await rejects(
      createDnsFetcher(deps(h, {}, { 'TXT SN1._sztp.example.test': [txt('SN2._sztp.example.test', SIGNED)] })).fetch(
        h.ctx,
      ),
      'SZTP_ERR_DNS_NO_RECORD',
    );
    assert.deepEqual(h.validated, []);
  });

  it('a malformed TXT record is SZTP_ERR_DNS_TXT and nothing is validated', async () => {
    const h = harness({ mdns: false });
    const dup = [...UNSIGNED, ...UNSIGNED];
    await rejects(
      createDnsFetcher(deps(h, {}, { 'TXT SN1._sztp.example.test': [txt('SN1._sztp.example.test', dup)] })).fetch(
        h.ctx,
      ),
      'SZTP_ERR_DNS_TXT',
    );
    const h2 = harness({ mdns: false });
    await rejects(
      createDnsFetcher(
        deps(h2, {}, { 'TXT SN1._sztp.example.test': [txt('SN1._sztp.example.test', [Buffer.from('oc=0')])] }),
      ).fetch(h2.ctx),
      'SZTP_ERR_DNS_TXT',
    );
    assert.deepEqual([...h.validated, ...h2.validated], []);
  });

  it('a server error is SZTP_ERR_DNS_SERVER; the next server is asked', async () => {
    const h = harness({ mdns: false, servers: ['192.0.2.53', '[2001:db8::53]:5353'] });
    let n = 0;
    const base = deps(h, {}, { 'TXT SN1._sztp.example.test': 'servfail', 'SRV _sztp._tcp.example.test': 'servfail' });
    const orig = base.queryUnicast!;
    const d: Partial<DnsFetcherDeps> = {
      ...base,
      queryUnicast: (q) =>
        n++ % 2 === 1 ? Promise.resolve(reply(q.name, q.type, { [`TXT ${q.name}`]: [txt(q.name, SIGNED)] })) : orig(q),
    };
    const s = await createDnsFetcher(d).fetch(h.ctx);
    assert.equal(s.description, 'dns:SN1._sztp.example.test');
    assert.deepEqual(h.asked, ['dns 192.0.2.53:53 TXT SN1._sztp.example.test']);
    const h2 = harness({ mdns: false });
    await rejects(
      createDnsFetcher(
        deps(h2, {}, { 'TXT SN1._sztp.example.test': 'servfail', 'SRV _sztp._tcp.example.test': 'servfail' }),
      ).fetch(h2.ctx),
      'SZTP_ERR_DNS_SERVER',
    );
  });

  it('without [DNS] servers and domains, uses resolv.conf', async () => {
    const h = harness({ mdns: false, servers: [], domains: [] });
    await rejects(createDnsFetcher(deps(h, {}, {})).fetch(h.ctx), 'SZTP_ERR_DNS_NO_RECORD');
    assert.deepEqual(h.asked, [
      'dns 198.51.100.1:53 TXT SN1._sztp.from-resolv.test',
      'dns 198.51.100.1:53 SRV _sztp._tcp.from-resolv.test',
    ]);
  });

  it('a serial that is not one DNS label skips the device-specific step (still asks SRV)', async () => {
    const h = harness({ mdns: false }, 'SN.1');
    await rejects(createDnsFetcher(deps(h, {}, {})).fetch(h.ctx), 'SZTP_ERR_DNS_NAME');
    assert.deepEqual(h.asked, ['dns 192.0.2.53:53 SRV _sztp._tcp.example.test']);
  });

  it('after a failed onboarding from the TXT source, next() continues with the SRV records (C-114)', async () => {
    const h = harness({ mdns: false });
    const first = await createDnsFetcher(
      deps(
        h,
        {},
        {
          'TXT SN1._sztp.example.test': [txt('SN1._sztp.example.test', SIGNED)],
          'SRV _sztp._tcp.example.test': [srv('_sztp._tcp.example.test', 'bs.example.test', 0)],
        },
      ),
    ).fetch(h.ctx);
    assert.equal(first.description, 'dns:SN1._sztp.example.test');
    const second = await first.next!();
    assert.equal(second.description, 'server via dns:_sztp._tcp.example.test');
  });

  it('drops SRV targets that are not host names (terminal control from DNS is data, never followed)', async () => {
    const h = harness({ mdns: false });
    await rejects(
      createDnsFetcher(
        deps(h, {}, { 'SRV _sztp._tcp.example.test': [srv('_sztp._tcp.example.test', 'evil\u001b[2J', 0)] }),
      ).fetch(h.ctx),
      'SZTP_ERR_DNS_NO_RECORD',
    );
    assert.deepEqual(h.follows, []);
  });

  it('mDNS asks over IPv4 and IPv6 at once; the first answer wins and the other question is stopped', async () => {
    const h = harness({ domains: [] });
    const signals: Record<number, AbortSignal> = {};
    const s = await createDnsFetcher(
      deps(
        h,
        {},
        {},
        {
          interfaceAddresses: () => [
            { family: 'IPv4', address: '192.0.2.10', prefix: 24 },
            { family: 'IPv6', address: 'fe80::10', prefix: 64 },
          ],
          queryMdns: (q) => {
            signals[q.family] = q.signal;
            if (q.family === 6)
              return new Promise((_, reject) => {
                q.signal.addEventListener('abort', () => {
                  reject(new SztpError('SZTP_ERR_ABORTED', 'stopped'));
                });
              });
            return Promise.resolve(reply(q.name, q.type, { [`TXT ${q.name}`]: [txt(q.name, SIGNED)] }));
          },
        },
      ),
    ).fetch(h.ctx);
    assert.equal(s.description, 'mdns:eth0');
    assert.equal(signals[6]?.aborted, true);
    assert.equal(h.abort.signal.aborted, false);
  });

  it('abort ends the fetch with SZTP_ERR_ABORTED', async () => {
    const h = harness({});
    const p = createDnsFetcher(
      deps(
        h,
        {},
        {},
        {
          queryMdns: (q) =>
            new Promise((_, reject) => {
              q.signal.addEventListener('abort', () => {
                reject(new SztpError('SZTP_ERR_ABORTED', 'aborted'));
              });
            }),
        },
      ),
    ).fetch(h.ctx);
    setTimeout(() => {
      h.abort.abort();
    }, 20);
    await rejects(p, 'SZTP_ERR_ABORTED');
  });
});
