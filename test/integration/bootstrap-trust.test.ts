/**
 * Bootstrap-server trust over loopback with the real test server, openssl-made certificates and
 * the real trust pipeline: trusted vs provisional servers, signed vs unsigned data, nonce round
 * trip, redirects with and without trust anchors, wrong certificates, loops, 3xx, RESTCONF errors.
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { parseConfigText } from '../../src/config/load.ts';
import { buildRuntime, openStore } from '../../src/daemon/wire.ts';
import { createServerFetcher } from '../../src/fetchers/server.ts';
import { NULL_REPORTER } from '../../src/progress/reporter.ts';
import type { RedirectInformation } from '../../src/types.ts';
import {
  fetchContext,
  makeServerLab,
  type ContextOptions,
  type Harness,
  type ServerLab,
} from '../support/bootstrap-harness.ts';
import {
  SIMPLE_ONBOARDING,
  redirectJson,
  signedReply,
  trustAnchorCms,
  unsignedReply,
} from '../support/bootstrap-fixtures.ts';
import { restconfError, type BootstrapServerOptions, type TestBootstrapServer } from '../support/bootstrap-server.ts';
import { randomBytes } from 'node:crypto';
import { certDer, issueCert } from '../support/pki.ts';

let lab: ServerLab;
let h: Harness;

before(() => {
  lab = makeServerLab();
  h = lab.h;
});
after(() => lab.close());

const server = (o: Partial<BootstrapServerOptions> = {}): Promise<TestBootstrapServer> => lab.server(o);
const rogueServer = (): Promise<TestBootstrapServer> => lab.rogueServer();

const entry = (s: TestBootstrapServer, address = '127.0.0.1', trustAnchor?: Uint8Array): RedirectInformation => ({
  bootstrapServers: [{ address, port: s.port, ...(trustAnchor === undefined ? {} : { trustAnchor }) }],
});
const origin = { fetcher: 'Mgmt4' as const, description: 'test' };
/** A provisional-only context: no configured bootstrap trust anchors. */
const noAnchors: ContextOptions = { device: { bootstrapTrustAnchors: undefined } } as unknown as ContextOptions;
const follow = (redirect: RedirectInformation, trusted: boolean, o: ContextOptions = noAnchors) => {
  const ctx = fetchContext(h, o);
  return ctx.bootstrap.followRedirect(redirect, trusted, ctx, origin);
};
/** Responder that signs a voucher carrying the nonce the device sent (nonce round trip). */
const signedWithSentNonce =
  (doc: unknown, level?: 'minimal' | 'verbose') => (req: { input: Record<string, unknown> | undefined }) =>
    signedReply(h.pki, doc, { nonce: String(req.input?.nonce) }, level);

describe('provisional (untrusted) servers', () => {
  test('AT-30 AT-54 AT-32: provisional request carries only signed-data-preferred + nonce, IDevID presented; signed onboarding applied without reports', async () => {
    const s = await server();
    s.onGetBootstrappingData = signedWithSentNonce(SIMPLE_ONBOARDING);
    const source = await follow(entry(s), false);
    const [req] = s.bootstrapRequests();
    assert.ok(req);
    assert.deepEqual(Object.keys(req.input ?? {}).sort(), ['nonce', 'signed-data-preferred']);
    assert.deepEqual(req.input?.['signed-data-preferred'], [null]);
    assert.equal(Buffer.from(String(req.input?.nonce), 'base64').length, 32);
    assert.equal(req.headers.authorization, undefined);
    assert.equal(req.clientSerial, h.pki.serial);
    assert.equal(req.authorized, true);
    assert.equal(source.trustedServer, false);
    assert.equal(source.reporter, NULL_REPORTER);
    assert.equal(source.info.kind, 'onboarding-information');
    assert.equal(source.info.signed, true);
    assert.equal(source.description, `https://127.0.0.1:${s.port}`);
    await source.reporter.report({ progressType: 'bootstrap-initiated' });
    assert.deepEqual(s.progressReports(), []);
  });

  test('nonce round trip: a voucher with another nonce is refused (SZTP_ERR_VOUCHER_NONCE), no report to a provisional server', async () => {
    const s = await server();
    s.onGetBootstrappingData = () =>
      signedReply(h.pki, SIMPLE_ONBOARDING, { nonce: randomBytes(32).toString('base64') });
    await assert.rejects(follow(entry(s), false), { code: 'SZTP_ERR_VOUCHER_NONCE' });
    assert.deepEqual(s.progressReports(), []);
  });

  test('AT-31: unsigned onboarding from a provisional server is refused, no report sent', async () => {
    const s = await server();
    s.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING);
    await assert.rejects(follow(entry(s), false), { code: 'SZTP_ERR_SERVER_UNSIGNED_FROM_UNTRUSTED' });
    assert.deepEqual(s.progressReports(), []);
  });

  test('AT-08: unsigned redirect with a trust-anchor: anchor discarded, next server contacted provisionally', async () => {
    const b = await rogueServer();
    b.onGetBootstrappingData = signedWithSentNonce(SIMPLE_ONBOARDING);
    const a = await server();
    a.onGetBootstrappingData = () =>
      unsignedReply(
        redirectJson([{ address: '127.0.0.1', port: b.port, trustAnchor: trustAnchorCms(h.pki.serverCa.cert) }]),
      );
    const source = await follow(entry(a), false);
    assert.equal(source.description, `https://127.0.0.1:${b.port}`);
    assert.equal(source.trustedServer, false);
    assert.deepEqual(b.bootstrapRequests()[0]?.input?.['signed-data-preferred'], [null]);
  });

  test('AT-29: every resolved address is tried in order; the third answers', async () => {
    const s = await server();
    s.onGetBootstrappingData = signedWithSentNonce(SIMPLE_ONBOARDING);
    const resolved: string[] = [];
    const source = await follow({ bootstrapServers: [{ address: 'multi.example', port: s.port }] }, false, {
      ...noAnchors,
      client: {
        resolve: (host) => {
          resolved.push(host);
          return Promise.resolve(['127.0.0.2', '127.0.0.3', '127.0.0.1']);
        },
      },
    });
    assert.deepEqual(resolved, ['multi.example']);
    assert.equal(source.description, `https://multi.example:${s.port}`);
    assert.equal(s.bootstrapRequests().length, 1);
    assert.equal(s.bootstrapRequests()[0]?.headers.host, `multi.example:${s.port}`);
  });

  test('C-066: a provisional connection whose certificate validates against the configured anchors is trusted', async () => {
    const s = await server();
    s.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING);
    const source = await follow(entry(s), false, {});
    assert.equal(source.trustedServer, true);
    assert.equal(s.bootstrapRequests()[0]?.input?.['hw-model'], 'model-x');
  });

  test('a configured anchor node:crypto cannot parse neither crashes the agent nor trusts the server (stays provisional)', async () => {
    const s = await server();
    s.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING);
    const bad = join(h.dir, 'unparsable-anchor.pem');
    writeFileSync(bad, '-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n');
    await assert.rejects(follow(entry(s), false, { device: { bootstrapTrustAnchors: bad } }), {
      code: 'SZTP_ERR_SERVER_UNSIGNED_FROM_UNTRUSTED',
    });
    assert.deepEqual(Object.keys(s.bootstrapRequests()[0]?.input ?? {}).sort(), ['nonce', 'signed-data-preferred']);
  });
});

describe('trusted servers', () => {
  test('AT-54 (trusted side): well-known server pinned to bootstrap_trust_anchors gets hw-model/os-name/os-version, unsigned onboarding accepted', async () => {
    const s = await server();
    s.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING, 'verbose');
    const ctx = fetchContext(h, { bootstrap: { servers: [s.url] } });
    const source = await createServerFetcher().fetch(ctx);
    const input = s.bootstrapRequests()[0]?.input ?? {};
    assert.deepEqual(Object.keys(input).sort(), ['hw-model', 'nonce', 'os-name', 'os-version']);
    assert.equal(input['os-version'], '17.3R2.1');
    assert.equal(source.trustedServer, true);
    assert.equal(source.info.signed, false);
    assert.equal(source.fetcher, 'Server');
    assert.notEqual(source.reporter, NULL_REPORTER);
  });

  test('a DER bootstrap_trust_anchors file, loaded once by the daemon, pins the well-known server (it used to pass start-up and fail every pass)', async () => {
    const s = await server();
    s.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING, 'verbose');
    const der = join(h.dir, 'bootstrap-anchors.der');
    writeFileSync(der, certDer(h.pki.serverCa.cert));
    const text = [
      '[Device]',
      `serial_number: ${h.pki.serial}`,
      `idevid_cert: ${h.pki.device.cert}`,
      `idevid_key: ${h.pki.device.key}`,
      `voucher_trust_anchors: ${h.pki.manufacturer.cert}`,
      `bootstrap_trust_anchors: ${der}`,
      '[Bootstrap]',
      `servers: ${s.url}`,
      'connect_timeout_seconds: 3',
      'response_timeout_seconds: 3',
      '[Router]',
      'adapter: simulated',
      'root: router',
      'os_name: VendorOS',
      'os_version: 17.3R2.1',
      'hw_model: model-x',
      '[Agent]',
      'state_dir: daemon-state',
      '',
    ].join('\n');
    const config = parseConfigText(text, join(h.dir, 'ztp.ini'));
    const log = pino({ level: 'silent' });
    const runtime = await buildRuntime(config, log, openStore(config, log));
    const source = await createServerFetcher().fetch(runtime.fetchContext(new AbortController().signal));
    assert.equal(source.trustedServer, true);
    assert.equal(source.info.signed, false);
    assert.deepEqual(Object.keys(s.bootstrapRequests()[0]?.input ?? {}).sort(), [
      'hw-model',
      'nonce',
      'os-name',
      'os-version',
    ]);
  });

  test('a well-known server presenting a certificate from another CA fails TLS (SZTP_ERR_SERVER_TLS), nothing is sent', async () => {
    const s = await rogueServer();
    s.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING);
    const ctx = fetchContext(h, { bootstrap: { servers: [s.url] } });
    await assert.rejects(createServerFetcher().fetch(ctx), { code: 'SZTP_ERR_SERVER_TLS' });
    assert.equal(s.requests.length, 0);
  });

  test('well-known server URIs are validated (SZTP_ERR_SERVER_URI)', async () => {
    for (const uri of ['http://127.0.0.1:1', 'https://127.0.0.1:1/restconf', 'https://user@127.0.0.1:1']) {
      const ctx = fetchContext(h, { bootstrap: { servers: [uri] } });
      await assert.rejects(createServerFetcher().fetch(ctx), { code: 'SZTP_ERR_SERVER_URI' }, uri);
    }
  });

  test('AT-26: signed data from a trusted server failing validation: bootstrap-initiated then parsing-error reported (§5.6 order), next server tried', async () => {
    const bad = await server();
    bad.onGetBootstrappingData = (req) =>
      signedReply(h.pki, SIMPLE_ONBOARDING, { serial: 'SN-OTHER', nonce: String(req.input?.nonce) });
    const good = await server();
    good.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING);
    const ctx = fetchContext(h, { bootstrap: { servers: [bad.url, good.url] } });
    const source = await createServerFetcher().fetch(ctx);
    assert.equal(source.description, good.url);
    assert.deepEqual(bad.progressReports(), ['bootstrap-initiated', 'parsing-error']);
    assert.deepEqual(good.progressReports(), []);
  });

  test('AT-33: signed redirect with a trust-anchor: B is authenticated against it; a wrong certificate on B fails with no provisional fallback', async () => {
    const b = await server();
    b.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING);
    const a = await rogueServer();
    const anchor = trustAnchorCms(h.pki.serverCa.cert);
    a.onGetBootstrappingData = (req) =>
      signedReply(h.pki, redirectJson([{ address: '127.0.0.1', port: b.port, trustAnchor: anchor }]), {
        nonce: String(req.input?.nonce),
      });
    const source = await follow(entry(a), false);
    assert.equal(source.trustedServer, true);
    assert.equal(source.description, `https://127.0.0.1:${b.port}`);
    assert.equal(b.bootstrapRequests()[0]?.input?.['hw-model'], 'model-x');

    const wrong = await rogueServer();
    wrong.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING);
    a.onGetBootstrappingData = (req) =>
      signedReply(h.pki, redirectJson([{ address: '127.0.0.1', port: wrong.port, trustAnchor: anchor }]), {
        nonce: String(req.input?.nonce),
      });
    await assert.rejects(follow(entry(a), false), { code: 'SZTP_ERR_SERVER_TLS' });
    assert.equal(wrong.requests.length, 0);
  });

  test('AT-33 (identity): the anchor validates but the certificate does not name the redirect address', async () => {
    const b = await server();
    b.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING);
    const anchor = trustAnchorCms(h.pki.serverCa.cert);
    const redirect = { bootstrapServers: [{ address: 'other.example', port: b.port, trustAnchor: anchor }] };
    await assert.rejects(
      follow(redirect, true, { ...noAnchors, client: { resolve: () => Promise.resolve(['127.0.0.1']) } }),
      { code: 'SZTP_ERR_SERVER_TLS' },
    );
    assert.equal(b.requests.length, 0);
  });

  test('T-08: with clock_trusted = False an expired server certificate still authenticates (dates skipped); with a trusted clock it fails', async () => {
    const expired = issueCert(
      h.dir,
      'expired-server',
      'p256',
      h.pki.serverCa,
      '/CN=localhost',
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      -1,
    );
    const s = await server({ cert: readFileSync(expired.cert), key: readFileSync(expired.key) });
    s.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING);
    await assert.rejects(createServerFetcher().fetch(fetchContext(h, { bootstrap: { servers: [s.url] } })), {
      code: 'SZTP_ERR_SERVER_TLS',
    });
    assert.equal(s.requests.length, 0);
    const source = await createServerFetcher().fetch(
      fetchContext(h, { bootstrap: { servers: [s.url] }, device: { clockTrusted: false } }),
    );
    assert.equal(source.trustedServer, true);
    const r = await rogueServer();
    await assert.rejects(
      createServerFetcher().fetch(
        fetchContext(h, { bootstrap: { servers: [r.url] }, device: { clockTrusted: false } }),
      ),
      { code: 'SZTP_ERR_SERVER_TLS' },
    );
    assert.equal(r.requests.length, 0);
  });

  test('T-08: the untrusted clock skips only dates: a clientAuth-only certificate from the pinned CA is refused either way', async () => {
    const client = issueCert(h.dir, 'clientauth-server', 'p256', h.pki.serverCa, '/CN=localhost', [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=clientAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ]);
    const s = await server({ cert: readFileSync(client.cert), key: readFileSync(client.key) });
    s.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING);
    for (const clockTrusted of [true, false]) {
      await assert.rejects(
        createServerFetcher().fetch(fetchContext(h, { bootstrap: { servers: [s.url] }, device: { clockTrusted } })),
        { code: 'SZTP_ERR_SERVER_TLS' },
      );
    }
    assert.equal(s.requests.length, 0);
    // Provisionally it may still be contacted, but it never counts as trusted (unsigned onboarding refused).
    await assert.rejects(follow(entry(s), false, { device: { clockTrusted: false } }), {
      code: 'SZTP_ERR_SERVER_UNSIGNED_FROM_UNTRUSTED',
    });
  });

  test('IPv6 literal address: pinned to a learned anchor, identity checked against the iPAddress SAN ::1', async (t) => {
    let s: TestBootstrapServer;
    try {
      s = await server({ host: '::1' });
    } catch {
      t.skip('no IPv6 loopback');
      return;
    }
    s.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING);
    const source = await follow(entry(s, '::1', trustAnchorCms(h.pki.serverCa.cert)), true);
    assert.equal(source.trustedServer, true);
    assert.equal(source.description, `https://[::1]:${s.port}`);
  });

  test('AT-34: trusted redirect entry without a trust anchor: provisional connection, unsigned onboarding refused', async () => {
    const b = await server();
    b.onGetBootstrappingData = () => unsignedReply(SIMPLE_ONBOARDING);
    await assert.rejects(follow(entry(b), true), { code: 'SZTP_ERR_SERVER_UNSIGNED_FROM_UNTRUSTED' });
    assert.deepEqual(b.bootstrapRequests()[0]?.input?.['signed-data-preferred'], [null]);
  });

  test('App. B: a provisional server redirecting to itself with a signed trust-anchor is re-contacted as trusted', async () => {
    const s = await server();
    const anchor = trustAnchorCms(h.pki.serverCa.cert);
    s.onGetBootstrappingData = (req) =>
      req.input?.['signed-data-preferred'] !== undefined
        ? signedReply(h.pki, redirectJson([{ address: '127.0.0.1', port: s.port, trustAnchor: anchor }]), {
            nonce: String(req.input.nonce),
          })
        : unsignedReply(SIMPLE_ONBOARDING);
    const source = await follow(entry(s), false);
    assert.equal(source.trustedServer, true);
    assert.equal(s.bootstrapRequests().length, 2);
  });
});

describe('redirect limits and HTTP behaviour', () => {
  test('AT-35: A redirects to B and B to A: the loop is stopped (SZTP_ERR_SERVER_REDIRECT_LOOP)', async () => {
    const a = await server();
    const b = await server();
    a.onGetBootstrappingData = () => unsignedReply(redirectJson([{ address: '127.0.0.1', port: b.port }]));
    b.onGetBootstrappingData = () => unsignedReply(redirectJson([{ address: '127.0.0.1', port: a.port }]));
    await assert.rejects(follow(entry(a), false), { code: 'SZTP_ERR_SERVER_REDIRECT_LOOP' });
    assert.ok(a.bootstrapRequests().length <= 2 && b.bootstrapRequests().length <= 2);
  });

  test('AT-35 (cap): a chain longer than max_redirect_depth stops at the cap and the next entry is tried', async () => {
    const c = await server();
    c.onGetBootstrappingData = signedWithSentNonce(SIMPLE_ONBOARDING);
    const b = await server();
    b.onGetBootstrappingData = () => unsignedReply(redirectJson([{ address: '127.0.0.1', port: c.port }]));
    const a = await server();
    a.onGetBootstrappingData = () => unsignedReply(redirectJson([{ address: '127.0.0.1', port: b.port }]));
    await assert.rejects(follow(entry(a), false, { ...noAnchors, bootstrap: { maxRedirectDepth: 1 } }), {
      code: 'SZTP_ERR_SERVER_REDIRECT_LOOP',
    });
    assert.equal(c.requests.length, 0);
    const fallback = await server();
    fallback.onGetBootstrappingData = signedWithSentNonce(SIMPLE_ONBOARDING);
    const source = await follow(
      {
        bootstrapServers: [
          { address: '127.0.0.1', port: a.port },
          { address: '127.0.0.1', port: fallback.port },
        ],
      },
      false,
      { ...noAnchors, bootstrap: { maxRedirectDepth: 1 } },
    );
    assert.equal(source.description, fallback.url);
  });

  test('AT-55: HTTP 3xx is not followed and the server counts as failed', async () => {
    const target = await server();
    const s = await server();
    s.onGetBootstrappingData = () => ({
      status: 307,
      headers: { location: `${target.url}/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data` },
    });
    await assert.rejects(follow(entry(s), false), (err: { code: string; evidence: { status: number } }) => {
      assert.equal(err.code, 'SZTP_ERR_SERVER_HTTP_STATUS');
      assert.equal(err.evidence.status, 307);
      return true;
    });
    assert.equal(target.requests.length, 0);
  });

  test('ietf-restconf:errors are decoded (SZTP_ERR_SERVER_RESTCONF_ERROR with the error-tag); 5xx moves to the next entry', async () => {
    const s = await server();
    s.onGetBootstrappingData = () => restconfError(403, 'access-denied', 'not yours');
    await assert.rejects(follow(entry(s), false), (err: { code: string; evidence: { errorTags: string[] } }) => {
      assert.equal(err.code, 'SZTP_ERR_SERVER_RESTCONF_ERROR');
      assert.deepEqual(err.evidence.errorTags, ['access-denied']);
      return true;
    });
    const failing = await server();
    failing.onGetBootstrappingData = () => ({ status: 503 });
    const ok = await server();
    ok.onGetBootstrappingData = signedWithSentNonce(SIMPLE_ONBOARDING);
    const source = await follow(
      {
        bootstrapServers: [
          { address: '127.0.0.1', port: failing.port },
          { address: '127.0.0.1', port: ok.port },
        ],
      },
      false,
    );
    assert.equal(source.description, ok.url);
  });

  test('a stalled reply hits the response timeout (SZTP_ERR_SERVER_TIMEOUT); an oversized one the size cap', async () => {
    const s = await server();
    s.onGetBootstrappingData = () => ({ fault: 'stall' });
    await assert.rejects(follow(entry(s), false, { ...noAnchors, bootstrap: { responseTimeoutSeconds: 1 } }), {
      code: 'SZTP_ERR_SERVER_TIMEOUT',
    });
    s.onGetBootstrappingData = () => ({
      status: 200,
      headers: { 'content-type': 'application/yang-data+json' },
      body: 'x'.repeat(5000),
    });
    await assert.rejects(follow(entry(s), false, { ...noAnchors, bootstrap: { maxResponseBytes: 1024 } }), {
      code: 'SZTP_ERR_SERVER_RESPONSE',
    });
    s.onGetBootstrappingData = () => ({ fault: 'reset-mid-body', body: 'x'.repeat(5000), afterBytes: 100 });
    await assert.rejects(follow(entry(s), false), (err: { code: string }) =>
      /SZTP_ERR_SERVER_(CONNECT|RESPONSE)/.test(err.code),
    );
  });

  test('host-meta discovery: a custom root is used; a host-meta pointing at another host is ignored', async () => {
    const s = await server({ root: '/top/restconf' });
    s.onGetBootstrappingData = signedWithSentNonce(SIMPLE_ONBOARDING);
    await follow(entry(s), false);
    assert.equal(
      s.bootstrapRequests()[0]?.path,
      '/top/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data',
    );
    const t = await server({
      hostMeta:
        "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'><Link rel='restconf' href='https://198.51.100.7/restconf'/></XRD>",
    });
    t.onGetBootstrappingData = signedWithSentNonce(SIMPLE_ONBOARDING);
    await follow(entry(t), false);
    assert.equal(
      t.bootstrapRequests()[0]?.path,
      '/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data',
    );
  });

  test('XML replies are accepted', async () => {
    const s = await server();
    s.onGetBootstrappingData = (req) => {
      const json = signedReply(h.pki, SIMPLE_ONBOARDING, { nonce: String(req.input?.nonce) });
      const out =
        (JSON.parse(String((json as { body: string }).body)) as Record<string, Record<string, string>>)[
          'ietf-sztp-bootstrap-server:output'
        ] ?? {};
      const xml = `<output xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server">${Object.entries(out)
        .map(([k, v]) => `<${k}>${v}</${k}>`)
        .join('')}</output>`;
      return { status: 200, headers: { 'content-type': 'application/yang-data+xml' }, body: xml };
    };
    const source = await follow(entry(s), false);
    assert.equal(source.info.signed, true);
  });

  test('no IDevID: SZTP_ERR_DEVICE_IDENTITY before any connection', async () => {
    const s = await server();
    await assert.rejects(follow(entry(s), false, { ...noAnchors, withoutCredentials: true }), {
      code: 'SZTP_ERR_DEVICE_IDENTITY',
    });
    assert.equal(s.requests.length, 0);
  });
});
