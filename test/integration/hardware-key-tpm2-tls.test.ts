/**
 * Mutual TLS with an IDevID key that exists only at a TPM persistent handle (`idevid_key:
 * tpm2:0x81…`, issue 16): the `openssl s_client` helper with the tpm2 provider (src/bootstrap/
 * tls-helper.ts), on a real software TPM (swtpm) behind a real resource manager (tpm2-abrmd on a
 * private D-Bus, as /dev/tpmrm0 on a device), keys at persistent handles, IDevID certificates from
 * CSRs the TPM signed, against the real mutual-TLS test bootstrap server. The agent onboards with
 * EC and RSA keys (the server sees the TPM key's certificate, progress reports arrive); a server
 * the anchors do not authenticate, a wrong name, a server that never answers, garbage and
 * oversized replies are coded errors with no helper left running; SIGTERM during a stuck request
 * ends the agent within 5 s.
 * @module
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { discoverRoot, getBootstrappingData } from '../../src/bootstrap/restconf.ts';
import { openConnection, type ConnectionSettings, type TlsMode } from '../../src/bootstrap/tls.ts';
import { tpm2DeviceKey } from '../../src/platform/device-key-tpm2.ts';
import { bootstrappingReply, startBootstrapServer, type TestBootstrapServer } from '../support/bootstrap-server.ts';
import { rogueServerCert, unsignedReply } from '../support/bootstrap-fixtures.ts';
import {
  certDer,
  makeSignedBundle,
  makeTestPki,
  onboardingJson,
  simulatedRouter,
  agentBox,
  type TestPki,
} from '../support/pki.ts';
import {
  EC_HANDLE,
  issueTpmCertificates,
  RSA_HANDLE,
  startSoftTpm,
  startTpmBroker,
  type SoftTpm,
  type TpmBroker,
} from '../support/swtpm.ts';
import { cli, finish, logLines, start } from './cli-helpers.ts';

const SERIAL = 'SN-TPM-TLS-0001';
const HANDLES = { ec: EC_HANDLE, rsa: RSA_HANDLE } as const;
let dir: string;
let pki: TestPki;
let tpm: SoftTpm;
let broker: TpmBroker;
let rogue: ReturnType<typeof rogueServerCert>;
let certs: Record<'ec' | 'rsa', string>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sztp-tpm2-tls-'));
  pki = makeTestPki(join(dir, 'pki'), 'p256', SERIAL);
  rogue = rogueServerCert(join(dir, 'pki'));
  tpm = await startSoftTpm(dir);
  broker = await startTpmBroker(dir, tpm);
  certs = await issueTpmCertificates(dir, pki, broker.tcti, (h) => broker.publicKeyPem(h));
});
after(async () => {
  await broker.stop();
  await tpm.stop();
  rmSync(dir, { recursive: true, force: true });
});

const server = (which: 'good' | 'rogue' = 'good'): Promise<TestBootstrapServer> =>
  startBootstrapServer({
    cert: readFileSync(which === 'good' ? pki.server.cert : rogue.server.cert),
    key: readFileSync(which === 'good' ? pki.server.key : rogue.server.key),
    clientCa: readFileSync(pki.manufacturer.cert),
  });

/** pids of running `openssl s_client` helpers connecting to `port`. */
function helpers(port: number): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0] === 'openssl' && argv[1] === 's_client' && argv.some((a) => a.endsWith(`:${port}`)))
        found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Connection settings as the bootstrap client builds them, with the TPM EC key's helper. */
async function settings(o: Partial<ConnectionSettings> = {}): Promise<ConnectionSettings> {
  const key = tpm2DeviceKey({ handle: EC_HANDLE, tcti: broker.tcti, timeoutMs: 10_000, type: 'ec' });
  return {
    credentials: { certificate: certDer(certs.ec), chain: [], key },
    clientKey: await key.tlsClientOptions(),
    clockTrusted: true,
    now: () => new Date(),
    connectTimeoutMs: 2000,
    responseTimeoutMs: 2000,
    maxResponseBytes: 64 * 1024,
    ...o,
  };
}
const pinned = (): TlsMode => ({ kind: 'pinned', anchors: [certDer(pki.serverCa.cert)] });
const GBD_BODY = JSON.stringify({ 'ietf-sztp-bootstrap-server:input': {} });

describe('mutual TLS with a TPM handle-only key through the s_client helper', () => {
  for (const k of ['ec', 'rsa'] as const) {
    test(`agent run (${k} key at ${HANDLES[k]}): the server sees the TPM key's certificate, onboarding information is applied, progress reports arrive`, async () => {
      const s = await server();
      try {
        s.onGetBootstrappingData = (req) =>
          req.authorized && req.clientSerial === SERIAL
            ? bootstrappingReply(
                makeSignedBundle(
                  pki,
                  onboardingJson({ configuration: `hostname tpm-tls-${k}\n`, configurationHandling: 'replace' }),
                ),
                'verbose',
              )
            : undefined;
        const { box, ini } = agentBox(dir, `run-${k}`, pki, {
          Device: { idevid_cert: certs[k], idevid_key: `tpm2:${HANDLES[k]}`, tpm2_tcti: broker.tcti },
          'Fetcher Priority': { Server: '0' },
          Bootstrap: { servers: s.url, nonce: 'False' },
          Router: simulatedRouter(join(dir, `run-${k}`, 'router')),
        });
        const r = await cli(['--config', ini, 'run', '--once']);
        assert.equal(r.code, 0, r.stderr.slice(-3000));
        assert.equal(readFileSync(join(box, 'router', 'running-config'), 'utf8'), `hostname tpm-tls-${k}\n`);
        const serial = new X509Certificate(readFileSync(certs[k])).serialNumber.toUpperCase();
        assert.ok(s.requests.length >= 3, 'host-meta, get-bootstrapping-data, reports');
        for (const q of s.requests) {
          assert.equal(q.clientCertSerial?.toUpperCase(), serial, `${q.path}: the TPM key's certificate`);
          assert.equal(q.authorized, true);
        }
        const reports = s.progressReports();
        assert.equal(reports[0], 'bootstrap-initiated');
        assert.equal(reports.at(-1), 'bootstrap-complete');
        assert.deepEqual(helpers(s.port), [], 'no helper left running');
      } finally {
        await s.close();
      }
    });
  }

  test('pinned: a server the anchors do not authenticate → SZTP_ERR_SERVER_TLS before any request; a wrong DNS name or IP → refused', async () => {
    const s = await server('rogue');
    const good = await server();
    try {
      const st = await settings();
      const rogueConn = openConnection({ address: 'localhost', port: s.port, ip: '127.0.0.1' }, pinned(), st);
      await assert.rejects(discoverRoot(rogueConn, new AbortController().signal), { code: 'SZTP_ERR_SERVER_TLS' });
      await rogueConn.close();
      assert.equal(s.requests.length, 0, 'nothing reached the unauthenticated server');
      for (const address of ['not-the-server.test', '192.0.2.55']) {
        const conn = openConnection({ address, port: good.port, ip: '127.0.0.1' }, pinned(), st);
        await assert.rejects(
          getBootstrappingData(conn, '/restconf', GBD_BODY, new AbortController().signal),
          { code: 'SZTP_ERR_SERVER_TLS' },
          address,
        );
        await conn.close();
      }
      assert.equal(good.requests.length, 0, 'nothing sent to a server with the wrong name');
      const ok = openConnection({ address: 'localhost', port: good.port, ip: '127.0.0.1' }, pinned(), st);
      assert.equal(await discoverRoot(ok, new AbortController().signal), '/restconf');
      assert.equal(ok.trusted(), true);
      await ok.close();
    } finally {
      await s.close();
      await good.close();
    }
  });

  test('an address that is not a host name or IP (untrusted redirect text) never reaches the helper argv', async () => {
    const st = await settings();
    for (const [address, ip] of [
      ['-proxy', '127.0.0.1'],
      ['a b', '127.0.0.1'],
      ['localhost', '-connect'],
    ] as const) {
      const conn = openConnection({ address, port: 9, ip }, { kind: 'provisional', upgradeAnchors: [] }, st);
      await assert.rejects(discoverRoot(conn, new AbortController().signal), {
        code: 'SZTP_ERR_SERVER_CONNECT',
        message: /is not a host name|is not an IP address/,
      });
      await conn.close();
    }
  });

  test('provisional (RFC 8572 §5.1): no anchors → untrusted; anchors that fail → untrusted; anchors that authenticate → trusted (C-066); requireTrust then refuses', async () => {
    const s = await server('rogue');
    const good = await server();
    try {
      const st = await settings();
      const signal = new AbortController().signal;
      const none = openConnection(
        { address: 'localhost', port: s.port, ip: '127.0.0.1' },
        { kind: 'provisional', upgradeAnchors: [] },
        st,
      );
      assert.equal(await discoverRoot(none, signal), '/restconf');
      assert.equal(none.trusted(), false);
      await none.close();
      const failing = openConnection(
        { address: 'localhost', port: s.port, ip: '127.0.0.1' },
        { kind: 'provisional', upgradeAnchors: [certDer(pki.serverCa.cert)] },
        st,
      );
      assert.equal(await discoverRoot(failing, signal), '/restconf');
      assert.equal(failing.trusted(), false, 'the rogue server stays provisional');
      failing.requireTrust();
      await assert.rejects(discoverRoot(failing, signal), { code: 'SZTP_ERR_SERVER_TLS' });
      await failing.close();
      const upgraded = openConnection(
        { address: 'localhost', port: good.port, ip: '127.0.0.1' },
        { kind: 'provisional', upgradeAnchors: [certDer(pki.serverCa.cert)] },
        st,
      );
      assert.equal(await discoverRoot(upgraded, signal), '/restconf');
      assert.equal(upgraded.trusted(), true);
      await upgraded.close();
      assert.equal(s.requests.length, 2, 'one request per unverified exchange, none twice');
    } finally {
      await s.close();
      await good.close();
    }
  });

  test('agent run without the OpenSSL tpm2 provider: SZTP_ERR_DEVICE_KEY_MODULE at start-up (exit 2), before any server is contacted', async () => {
    const s = await server();
    const modules = process.env.OPENSSL_MODULES;
    try {
      const { box, ini } = agentBox(dir, 'run-no-provider', pki, {
        Device: { idevid_cert: certs.ec, idevid_key: `tpm2:${EC_HANDLE}`, tpm2_tcti: broker.tcti },
        'Fetcher Priority': { Server: '0' },
        Bootstrap: { servers: s.url, nonce: 'False' },
        Router: simulatedRouter(join(dir, 'run-no-provider', 'router')),
      });
      // As on an image without tpm2-openssl: OpenSSL finds no tpm2.so where it looks for providers.
      process.env.OPENSSL_MODULES = join(dir, 'no-ossl-modules');
      const r = await cli(['--config', ini, 'run', '--once']);
      assert.equal(r.code, 2, r.stderr.slice(-2000));
      assert.match(r.stderr, /SZTP_ERR_DEVICE_KEY_MODULE.*tpm2 provider/);
      assert.equal(s.requests.length, 0, 'no server contacted');
      assert.equal(existsSync(join(box, 'router', 'running-config')), false);
    } finally {
      if (modules === undefined) delete process.env.OPENSSL_MODULES;
      else process.env.OPENSSL_MODULES = modules;
      await s.close();
    }
  });

  test('agent run: a configured server the configured anchors do not authenticate → SZTP_ERR_SERVER_TLS, no request sent, nothing applied', async () => {
    const s = await server('rogue');
    try {
      s.onGetBootstrappingData = () =>
        unsignedReply(onboardingJson({ configuration: 'hostname evil\n', configurationHandling: 'replace' }));
      const { box, ini } = agentBox(dir, 'run-rogue', pki, {
        Device: { idevid_cert: certs.ec, idevid_key: `tpm2:${EC_HANDLE}`, tpm2_tcti: broker.tcti },
        'Fetcher Priority': { Server: '0' },
        Bootstrap: { servers: s.url, nonce: 'False' },
        Router: simulatedRouter(join(dir, 'run-rogue', 'router')),
      });
      const r = await cli(['--config', ini, 'run', '--once']);
      assert.notEqual(r.code, 0);
      assert.ok(
        logLines(r.stderr).some((l) => l.code === 'SZTP_ERR_SERVER_TLS'),
        r.stderr.slice(-2000),
      );
      assert.equal(existsSync(join(box, 'router', 'running-config')), false, 'nothing applied');
      assert.equal(s.requests.length, 0, 'nothing reached the server (the handshake failed first)');
    } finally {
      await s.close();
    }
  });

  test('a server that accepts and never answers (TCP, then after TLS) → SZTP_ERR_SERVER_TIMEOUT within the deadline, helper killed', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createNetServer((sock) => {
      sockets.push(sock);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const stalling = await server();
    stalling.onGetBootstrappingData = () => ({ fault: 'stall' });
    try {
      const st = await settings({ connectTimeoutMs: 1000, responseTimeoutMs: 1000 });
      for (const [p, call] of [
        [port, (c: ReturnType<typeof openConnection>) => discoverRoot(c, new AbortController().signal)],
        [
          stalling.port,
          (c: ReturnType<typeof openConnection>) =>
            getBootstrappingData(c, '/restconf', GBD_BODY, new AbortController().signal),
        ],
      ] as const) {
        const conn = openConnection({ address: 'localhost', port: p, ip: '127.0.0.1' }, pinned(), st);
        const t0 = Date.now();
        await assert.rejects(call(conn), { code: 'SZTP_ERR_SERVER_TIMEOUT' });
        const took = Date.now() - t0;
        assert.ok(took >= 1900 && took < 4500, `took ${took} ms`);
        assert.deepEqual(helpers(p), [], 'the helper was killed');
        await conn.close();
      }
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await stalling.close();
    }
  });

  test('garbage and oversized replies → SZTP_ERR_SERVER_RESPONSE, helper killed', async () => {
    const replies = [
      Buffer.from('SSH-2.0-OpenSSH_9.2\r\n\r\n'),
      Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
      Buffer.from('HTTP/1.1 200 OK\r\nX-A: \x1b[2J\r\n\r\n'),
      Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n'), Buffer.alloc(70_000, 0x41)]),
      Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), Buffer.alloc(70_000, 0x41)]),
      Buffer.from(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    ];
    let next = 0;
    const tls = createTlsServer(
      {
        cert: readFileSync(pki.server.cert),
        key: readFileSync(pki.server.key),
        requestCert: true,
        rejectUnauthorized: true,
        ca: readFileSync(pki.manufacturer.cert),
      },
      (sock) => {
        const reply = replies[next++] ?? Buffer.alloc(0);
        sock.once('data', () => {
          sock.end(reply);
        });
        sock.on('error', () => undefined);
      },
    );
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const port = (tls.address() as { port: number }).port;
    try {
      const st = await settings();
      for (const reply of replies) {
        const conn = openConnection({ address: 'localhost', port, ip: '127.0.0.1' }, pinned(), st);
        await assert.rejects(
          getBootstrappingData(conn, '/restconf', GBD_BODY, new AbortController().signal),
          { code: 'SZTP_ERR_SERVER_RESPONSE' },
          reply.subarray(0, 40).toString('latin1'),
        );
        await conn.close();
      }
      assert.deepEqual(helpers(port), []);
    } finally {
      await new Promise((resolve) => tls.close(resolve));
    }
  });

  test('SIGTERM during a stuck request (helper running) ends the agent within 5 s, helper gone', async () => {
    const s = await server();
    s.onGetBootstrappingData = () => ({ fault: 'stall' });
    try {
      const { ini } = agentBox(dir, 'run-stuck', pki, {
        Startup: { start: 'True', retry_forever: 'True' },
        Device: { idevid_cert: certs.ec, idevid_key: `tpm2:${EC_HANDLE}`, tpm2_tcti: broker.tcti },
        'Fetcher Priority': { Server: '0' },
        Bootstrap: { servers: s.url, nonce: 'False', response_timeout_seconds: '120' },
        Router: simulatedRouter(join(dir, 'run-stuck', 'router')),
      });
      const agent = start(['--config', ini, 'run']);
      const done = finish(agent);
      const deadline = Date.now() + 30_000;
      while (s.bootstrapRequests().length === 0 && Date.now() < deadline) await sleep(100);
      assert.ok(s.bootstrapRequests().length > 0, 'the request is in flight');
      assert.ok(helpers(s.port).length > 0, 'through a helper');
      const t0 = Date.now();
      agent.kill('SIGTERM');
      const r = await done;
      const took = Date.now() - t0;
      assert.ok(took < 5000, `took ${took} ms`);
      assert.deepEqual(helpers(s.port), [], 'no helper outlives the agent');
      assert.ok(
        logLines(r.stderr).every((l) => l.code !== 'SZTP_ERR_SERVER_TIMEOUT'),
        'stopped, not timed out',
      );
    } finally {
      await s.close();
    }
  });
});
