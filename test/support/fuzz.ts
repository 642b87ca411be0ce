/**
 * Property-test targets for the trust pipeline's, DHCP and DNS parsers (fast-check): mutated/truncated DER of
 * every artifact (voucher, owner certificate, conveyed information, EnvelopedData, certificates),
 * mutated JSON/XML documents and random JSON shapes. Each property asserts: no crash, no hang,
 * only coded errors (SztpError with a catalogue code; ValidationError from the pipeline); and the
 * validation fast path accepts no mutated artifact that the pkijs path rejects.
 * Shared by test/unit/scripts/fuzz.test.ts (small counts) and scripts/fuzz.ts (≥100k cases).
 * @module
 */
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { encodeDhcp4, decodeDhcp4, concatOption } from '../../src/dhcp/codec-v4.ts';
import { decodeDhcp6, encodeDhcp6 } from '../../src/dhcp/codec-v6.ts';
import { findRedirectInEnv } from '../../src/dhcp/hook-env.ts';
import { findRedirectInLeases } from '../../src/dhcp/lease-file.ts';
import { encodeUriList, parseUriList } from '../../src/dhcp/uri-list.ts';
import { DNS_TYPE, decodeDnsMessage, encodeDnsMessage } from '../../src/dns/codec.ts';
import { orderSrv } from '../../src/dns/srv.ts';
import { decodeSztpTxt, encodeSztpTxt } from '../../src/dns/txt.ts';
import { SztpError, ValidationError, isSztpError } from '../../src/errors.ts';
import { parseResponse } from '../../src/bootstrap/http1.ts';
import { ResponseReader } from '../../src/download/response-reader.ts';
import type { BootstrappingArtifacts, TrustContext } from '../../src/types.ts';
import { parseConveyedDocument } from '../../src/validation/conveyed-information.ts';
import { decodeConveyedInformation } from '../../src/validation/decode-conveyed-info.ts';
import { DEFAULT_LIMITS } from '../../src/validation/limits.ts';
import { OID } from '../../src/validation/oids.ts';
import { validateFast } from '../../src/validation/fast/validate.ts';
import { validateBootstrappingData } from '../../src/validation/pipeline.ts';
import { CheckLog } from '../../src/validation/trace.ts';
import { parseCertificate } from '../../src/validation/x509/certificate.ts';
import { FIXTURES_DIR, artifactsFor, contextFor, loadManifest } from './fixtures.ts';

type Mutation = {
  readonly op: 'flip' | 'set' | 'truncate' | 'insert' | 'delete' | 'dup';
  readonly at: number;
  readonly value: number;
  readonly len: number;
};

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('flip', 'set', 'truncate', 'insert', 'delete', 'dup'),
  at: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
  len: fc.integer({ min: 1, max: 64 }),
});

/** Applies mutations (positions taken modulo the current length). */
export function mutate(bytes: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = Buffer.from(bytes);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    switch (m.op) {
      case 'flip':
        b[at] = (b[at] ?? 0) ^ (1 << (m.value & 7));
        break;
      case 'set':
        b[at] = m.value;
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.alloc(m.len, m.value), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
        break;
      case 'dup':
        b = Buffer.concat([b.subarray(0, at + m.len), b.subarray(at)]);
        break;
    }
  }
  return new Uint8Array(b);
}

/** True when `err` is an acceptable outcome of a hostile input. */
function assertCoded(err: unknown, requireStep: boolean): void {
  assert.ok(isSztpError(err), `not a coded error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  if (requireStep)
    assert.ok(
      err instanceof ValidationError && ['voucher', 'owner-certificate', 'conveyed-information'].includes(err.step),
      'no step',
    );
}

interface Seed {
  readonly name: string;
  readonly artifacts: BootstrappingArtifacts;
  readonly ctx: TrustContext;
}

function seeds(): Seed[] {
  const m = loadManifest();
  const pick = [
    'valid',
    'enveloped-ecdh',
    'enveloped-oaep',
    'enveloped-all-ecdh',
    'revocation-required-good-crl',
    'xml-ci',
    'ber-indefinite',
    'unsigned-ci',
    'unsigned-ci-sztpd',
    'redirect-signed',
    'ski-signer',
    'rsa-pss',
    'pinned-intermediate',
    'idevid-issuer-raw',
  ];
  return m.variants
    .filter((v) => pick.includes(v.variant))
    .map((e) => ({
      name: `${e.kind}/${e.variant}`,
      artifacts: artifactsFor(FIXTURES_DIR, e),
      ctx: contextFor(FIXTURES_DIR, m, e),
    }));
}

export interface FuzzTarget {
  readonly name: string;
  /** Runs the property `numRuns` times (each run must finish within `timeoutMs`). */
  run(numRuns: number, options?: { readonly seed?: number; readonly timeoutMs?: number }): Promise<void>;
}

function target<T extends unknown[]>(name: string, property: fc.IAsyncProperty<T>): FuzzTarget {
  return {
    name,
    run: (numRuns, o = {}) =>
      fc.assert(property, {
        numRuns,
        timeout: o.timeoutMs ?? 5000,
        markInterruptAsFailure: true,
        ...(o.seed === undefined ? {} : { seed: o.seed }),
      }),
  };
}

/** All fuzz targets. */
export function fuzzTargets(): FuzzTarget[] {
  const all = seeds();
  const seedArb = fc.integer({ min: 0, max: all.length - 1 });
  const mutations = fc.array(mutationArb, { minLength: 1, maxLength: 4 });
  const pipelineOn = async (s: Seed, artifacts: BootstrappingArtifacts): Promise<void> => {
    try {
      await validateBootstrappingData(artifacts, s.ctx);
    } catch (err) {
      assertCoded(err, true);
    }
  };
  const jsonDoc = new TextEncoder().encode(
    JSON.stringify({
      'ietf-sztp-conveyed-info:onboarding-information': {
        'boot-image': {
          'os-name': 'X',
          'download-uri': ['https://a/b'],
          'image-verification': [{ 'hash-algorithm': 'sha-256', 'hash-value': '01:ab' }],
        },
        'configuration-handling': 'merge',
        configuration: 'aGk=',
      },
    }),
  );
  const xmlDoc = new TextEncoder().encode(
    '<?xml version="1.0"?><redirect-information xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info"><bootstrap-server><address>a.example</address><port>8443</port></bootstrap-server></redirect-information>',
  );
  const certDers = ['rsa', 'p256', 'p384'].map(
    (k) => new Uint8Array(new X509Certificate(readFileSync(join(FIXTURES_DIR, k, 'pki', 'owner.crt'))).raw),
  );
  const docTarget = (bytes: Uint8Array, oid: string): void => {
    try {
      decodeConveyedInformation(parseConveyedDocument(oid, bytes, DEFAULT_LIMITS));
    } catch (err) {
      assertCoded(err, true);
    }
  };
  const uriList = encodeUriList([
    'https://192.0.2.1:8443',
    'https://[2001:db8:1::1]:8443',
    'https://sztp.example.test',
  ]);
  const dhcp4 = encodeDhcp4({
    op: 2,
    xid: 0x1234,
    secs: 0,
    flags: 0x8000,
    ciaddr: '0.0.0.0',
    yiaddr: '192.0.2.100',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr: Uint8Array.of(2, 0, 0, 0, 0, 1),
    options: [
      { code: 53, data: Uint8Array.of(5) },
      { code: 6, data: Uint8Array.of(192, 0, 2, 1, 192, 0, 2, 2) },
      { code: 143, data: uriList },
    ],
  });
  const dhcp6 = encodeDhcp6({
    msgType: 7,
    transactionId: 0xabcdef,
    options: [
      { code: 136, data: uriList },
      { code: 23, data: new Uint8Array(16) },
    ],
  });
  const dnsReply = encodeDnsMessage({
    id: 7,
    qr: true,
    aa: true,
    questions: [{ name: 'SN1._sztp.example.test', type: DNS_TYPE.TXT, qclass: 1 }],
    answers: [
      {
        name: 'SN1._sztp.example.test',
        type: DNS_TYPE.TXT,
        txt: encodeSztpTxt({
          conveyedInformation: Uint8Array.of(0x30, ...new Array<number>(300).fill(7)),
          ownerCertificate: Uint8Array.of(0x30, 1),
        }),
      },
      {
        name: '_sztp._tcp.example.test',
        type: DNS_TYPE.SRV,
        srv: { priority: 1, weight: 5, port: 8443, target: 'bs.example.test' },
      },
    ],
    additionals: [{ name: 'bs.example.test', type: DNS_TYPE.A, address: '192.0.2.9' }],
  });
  const httpSeeds = [
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-A: b\r\n\r\n0123456789',
    'HTTP/1.1 206 Partial Content\r\nTransfer-Encoding: chunked\r\n\r\n4;e=1\r\nabcd\r\n3\r\nefg\r\n0\r\nT: t\r\n\r\n',
    'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody until the end',
  ].map((t) => Buffer.from(t, 'latin1'));
  const dhcpCoded = (fn: () => unknown): Promise<void> => {
    try {
      fn();
    } catch (err) {
      assertCoded(err, false);
    }
    return Promise.resolve();
  };
  return [
    target(
      'pipeline: mutated artifact (CI, OC or OV) of a valid bundle',
      fc.asyncProperty(
        seedArb,
        mutations,
        fc.constantFrom('ci' as const, 'oc' as const, 'ov' as const),
        async (i, ms, which) => {
          const s = all[i];
          if (s === undefined) return;
          const a = s.artifacts;
          const key = which === 'ci' ? 'conveyedInformation' : which === 'oc' ? 'ownerCertificate' : 'ownershipVoucher';
          const t = a[key];
          await pipelineOn(s, t === undefined ? a : { ...a, [key]: mutate(t, ms) });
        },
      ),
    ),
    target(
      'fast path: a mutated artifact it accepts, the pkijs path accepts identically',
      fc.asyncProperty(
        seedArb,
        mutations,
        fc.constantFrom('ci' as const, 'oc' as const, 'ov' as const),
        async (i, ms, which) => {
          const s = all[i];
          if (s === undefined) return;
          const key = which === 'ci' ? 'conveyedInformation' : which === 'oc' ? 'ownerCertificate' : 'ownershipVoucher';
          const t = s.artifacts[key];
          const a = t === undefined ? s.artifacts : { ...s.artifacts, [key]: mutate(t, ms) };
          const fast = validateFast(
            a,
            s.ctx,
            DEFAULT_LIMITS,
            createHash('sha256').update(a.conveyedInformation).digest('hex'),
          );
          if (fast === undefined) return;
          // A check log keeps validateBootstrappingData on the pkijs path: it must accept, with the same result.
          assert.deepStrictEqual(await validateBootstrappingData(a, s.ctx, { log: new CheckLog() }), fast);
        },
      ),
    ),
    target(
      'pipeline: truncated conveyed information',
      fc.asyncProperty(seedArb, fc.nat(), async (i, at) => {
        const s = all[i];
        if (s === undefined) return;
        await pipelineOn(s, {
          ...s.artifacts,
          conveyedInformation: mutate(s.artifacts.conveyedInformation, [{ op: 'truncate', at, value: 0, len: 1 }]),
        });
      }),
    ),
    target(
      'certificate parser: mutated DER',
      fc.asyncProperty(fc.integer({ min: 0, max: certDers.length - 1 }), mutations, (i, ms) => {
        try {
          parseCertificate(mutate(certDers[i] ?? new Uint8Array(), ms), 'owner-certificate', 'fuzzed certificate');
        } catch (err) {
          assertCoded(err, true);
        }
        return Promise.resolve();
      }),
    ),
    target(
      'JSON document: mutated bytes',
      fc.asyncProperty(mutations, (ms) => {
        docTarget(mutate(jsonDoc, ms), OID.conveyedJson);
        return Promise.resolve();
      }),
    ),
    target(
      'XML document: mutated bytes',
      fc.asyncProperty(mutations, (ms) => {
        docTarget(mutate(xmlDoc, ms), OID.conveyedXml);
        return Promise.resolve();
      }),
    ),
    target(
      'JSON document: random shapes under the two containers',
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            'ietf-sztp-conveyed-info:onboarding-information': fc.dictionary(
              fc.constantFrom(
                'boot-image',
                'configuration',
                'configuration-handling',
                'pre-configuration-script',
                'post-configuration-script',
                'x',
              ),
              fc.jsonValue(),
            ),
          }),
          fc.record({
            'ietf-sztp-conveyed-info:redirect-information': fc.record({
              'bootstrap-server': fc.array(
                fc.dictionary(fc.constantFrom('address', 'port', 'trust-anchor'), fc.jsonValue()),
              ),
            }),
          }),
        ),
        (doc: unknown) => {
          docTarget(new TextEncoder().encode(JSON.stringify(doc) ?? 'null'), OID.conveyedJson);
          return Promise.resolve();
        },
      ),
    ),
    target(
      'DHCPv4: mutated reply, option 143 reassembled and parsed',
      fc.asyncProperty(mutations, (ms) =>
        dhcpCoded(() => {
          const msg = decodeDhcp4(mutate(dhcp4, ms));
          const v = concatOption(msg.options, 143);
          if (v !== undefined) parseUriList(v, 143);
        }),
      ),
    ),
    target(
      'DHCPv6: mutated reply, option 136 parsed',
      fc.asyncProperty(mutations, (ms) =>
        dhcpCoded(() => {
          const msg = decodeDhcp6(mutate(dhcp6, ms));
          const v = msg.options.find((o) => o.code === 136);
          if (v !== undefined) parseUriList(v.data, 136);
        }),
      ),
    ),
    target(
      'DNS: mutated response, TXT pairs and SRV order decoded (RFC 8572 §4.2)',
      fc.asyncProperty(mutations, (ms) =>
        dhcpCoded(() => {
          const msg = decodeDnsMessage(mutate(dnsReply, ms));
          decodeSztpTxt(msg.answers.flatMap((r) => (r.txt === undefined ? [] : [r.txt])));
          orderSrv(
            msg.answers.flatMap((r) => (r.srv === undefined ? [] : [r.srv])),
            Math.random,
          );
        }),
      ),
    ),
    target(
      'DNS: random bytes as a message',
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), (b) => dhcpCoded(() => decodeDnsMessage(b))),
    ),
    target(
      'RFC 8572 §8.3 URI list: random bytes',
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), (b) => dhcpCoded(() => parseUriList(b, 143))),
    ),
    target(
      'HTTP/1.1 responses (boot-image download reader, TLS helper parser): mutated, fed in random pieces',
      fc.asyncProperty(
        fc.constantFrom(...httpSeeds),
        mutations,
        fc.array(fc.nat(), { maxLength: 8 }),
        (seed, ms, cuts) =>
          dhcpCoded(() => {
            const bytes = Buffer.from(mutate(seed, ms));
            const points = [...new Set([...cuts.map((c) => c % (bytes.length + 1)), bytes.length])].sort(
              (x, y) => x - y,
            );
            const reader = new ResponseReader(16 * 1024, (why) => new SztpError('SZTP_ERR_DOWNLOAD_FAILED', why));
            let body = 0;
            let at = 0;
            for (const p of points) {
              reader.feed(bytes.subarray(at, p), 0, p - at, (_b, start, end) => (body += end - start));
              at = p;
            }
            reader.end();
            assert.ok(body <= bytes.length, 'no more body than bytes received');
            parseResponse(bytes, true, { maxHeaderBytes: 16 * 1024, maxBodyBytes: 64 * 1024 });
          }),
      ),
    ),
    target(
      'dhclient lease file and hook environment: random text',
      fc.asyncProperty(fc.string({ maxLength: 400 }), (t) =>
        dhcpCoded(() => {
          findRedirectInLeases(`lease {\n  interface "eth0";\n  option sztp-redirect ${t};\n}\n${t}`, 'eth0', 4);
          findRedirectInEnv(`new_sztp_redirect=${t}\nopt143=${t}\n`, 4);
        }),
      ),
    ),
  ];
}
