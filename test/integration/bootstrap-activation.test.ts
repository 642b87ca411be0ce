/**
 * Activation codes (HTTP Basic `serial:code`, as SZTPD demands) against the mutual-TLS test server
 * that requires them: sent to a server whose certificate chains to the bootstrap trust anchors
 * (and with every progress report), withheld from a provisional server (RFC 8572 §9.6, C-178, AT-30) even
 * when it asks, sent there only with `activation_code_provisional` and a logged warning; a 401 says
 * what is missing.
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { discoverRoot, postRpc } from '../../src/bootstrap/restconf.ts';
import { openConnection } from '../../src/bootstrap/tls.ts';
import { isSztpError } from '../../src/errors.ts';
import { deviceKeyOf } from '../../src/platform/device-key-file.ts';
import type { FetchContext } from '../../src/contracts/fetch.ts';
import {
  fetchContext,
  makeServerLab,
  type ContextOptions,
  type Harness,
  type ServerLab,
} from '../support/bootstrap-harness.ts';
import { signedReply, SIMPLE_ONBOARDING } from '../support/bootstrap-fixtures.ts';
import type { TestBootstrapServer } from '../support/bootstrap-server.ts';
import { certDer } from '../support/pki.ts';

const CODE = 'act-2f9e-77c1';
let lab: ServerLab;
let h: Harness;
before(() => {
  lab = makeServerLab();
  h = lab.h;
});
after(() => lab.close());

/** A server demanding `serial:CODE`, with the test PKI's certificate (trusted) or a rogue one (provisional). */
async function server(kind: 'trusted' | 'provisional'): Promise<TestBootstrapServer> {
  const s = await (kind === 'trusted' ? lab.server() : lab.rogueServer());
  s.requireBasic = { user: h.pki.serial, password: CODE };
  s.onGetBootstrappingData = () => signedReply(h.pki, SIMPLE_ONBOARDING, {}, 'verbose');
  return s;
}

function withLog(o: ContextOptions): { ctx: FetchContext; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const log = pino(
    { level: 'info' },
    { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) },
  );
  return {
    ctx: {
      ...fetchContext(h, {
        bootstrap: { nonce: false, ...o.bootstrap },
        ...(o.device === undefined ? {} : { device: o.device }),
      }),
      log,
    },
    lines,
  };
}

const follow = (ctx: FetchContext, s: TestBootstrapServer) =>
  ctx.bootstrap.followRedirect({ bootstrapServers: [{ address: '127.0.0.1', port: s.port }] }, false, ctx, {
    fetcher: 'Mgmt4',
    description: 'dhcp',
  });

const basic = (code: string): string => `Basic ${Buffer.from(`${h.pki.serial}:${code}`).toString('base64')}`;

test('trusted server: get-bootstrapping-data and every report-progress carry serial:code; host-meta (before trust is known) does not', async () => {
  const s = await server('trusted');
  const { ctx } = withLog({ bootstrap: { activationCode: CODE } });
  const source = await follow(ctx, s);
  assert.equal(source.trustedServer, true);
  await source.reporter.report({ progressType: 'bootstrap-initiated' });
  await source.reporter.report({ progressType: 'bootstrap-complete' });
  const rpcs = s.requests.filter((r) => r.method === 'POST');
  assert.equal(rpcs.length, 3);
  for (const r of rpcs) assert.equal(r.headers.authorization, basic(CODE), r.path);
  assert.deepEqual(s.progressReports(), ['bootstrap-initiated', 'bootstrap-complete']);
  assert.equal(s.requests.find((r) => r.method === 'GET')?.headers.authorization, undefined);
});

test('activation_code_file: the first line is the code', async () => {
  const s = await server('trusted');
  const file = join(h.dir, 'activation-code');
  writeFileSync(file, `${CODE}\n`, { mode: 0o600 });
  const { ctx } = withLog({ bootstrap: { activationCodeFile: file } });
  assert.equal((await follow(ctx, s)).trustedServer, true);
  assert.equal(s.bootstrapRequests()[0]?.headers.authorization, basic(CODE));
  const missing = withLog({ bootstrap: { activationCodeFile: join(h.dir, 'absent') } });
  await assert.rejects(follow(missing.ctx, s), { code: 'SZTP_ERR_CONFIG_FILE' });
});

test('provisional server asking for it: the code is withheld (RFC 8572 §9.6), the 401 is reported, nothing is learned', async () => {
  const s = await server('provisional');
  const { ctx, lines } = withLog({ bootstrap: { activationCode: CODE } });
  await assert.rejects(
    follow(ctx, s),
    (e: unknown) => isSztpError(e) && /HTTP 401/.test(e.message) && /activation_code/.test(e.message),
  );
  assert.ok(s.requests.length > 0);
  for (const r of s.requests) assert.equal(r.headers.authorization, undefined, `${r.method} ${r.path}`);
  assert.ok(lines.some((l) => /activation code withheld/.test(l.msg)));
  assert.ok(!JSON.stringify(lines).includes(CODE), 'the code is never logged');
});

test('activation_code_provisional: sent to the provisional server with a warning; its signed data is accepted, no progress reports', async () => {
  const s = await server('provisional');
  const { ctx, lines } = withLog({ bootstrap: { activationCode: CODE, activationCodeProvisional: true } });
  const source = await follow(ctx, s);
  assert.equal(source.trustedServer, false);
  assert.equal(s.bootstrapRequests()[0]?.headers.authorization, basic(CODE));
  assert.ok(lines.some((l) => l.level === 40 && /provisional \(unauthenticated\) server/.test(l.msg)));
  assert.ok(!JSON.stringify(lines).includes(CODE), 'the code is never logged');
  await source.reporter.report({ progressType: 'bootstrap-initiated' });
  assert.deepEqual(s.progressReports(), []);
});

test("no activation code configured: the trusted server's 401 names the missing setting", async () => {
  const s = await server('trusted');
  const { ctx } = withLog({});
  await assert.rejects(
    follow(ctx, s),
    (e: unknown) =>
      isSztpError(e) && /HTTP 401 access-denied/.test(e.message) && /\[Bootstrap\] activation_code/.test(e.message),
  );
  assert.equal(s.bootstrapRequests()[0]?.headers.authorization, undefined);
  const wrong = withLog({ bootstrap: { activationCode: 'not-the-code' } });
  await assert.rejects(follow(wrong.ctx, s), (e: unknown) => isSztpError(e) && /HTTP 401/.test(e.message));
});

test('a provisional connection that proved trusted is held to it: a new socket to another certificate fails before any header is sent', async () => {
  const s = await server('trusted');
  const conn = openConnection(
    { address: '127.0.0.1', port: s.port, ip: '127.0.0.1' },
    { kind: 'provisional', upgradeAnchors: [certDer(h.pki.serverCa.cert)] },
    {
      credentials: h.credentials,
      clientKey: await deviceKeyOf(h.credentials)!.tlsClientOptions(),
      clockTrusted: true,
      now: () => new Date(),
      connectTimeoutMs: 3000,
      responseTimeoutMs: 3000,
      maxResponseBytes: 1 << 20,
    },
  );
  try {
    assert.equal(await discoverRoot(conn, new AbortController().signal), '/restconf');
    assert.equal(conn.trusted(), true);
    conn.requireTrust();
    s.useCertificate(readFileSync(lab.rogue.server.cert), readFileSync(lab.rogue.server.key));
    s.closeConnections();
    await new Promise((r) => setTimeout(r, 200)); // let the client see the close, so the next request opens a new socket
    const before = s.requests.length;
    await assert.rejects(
      postRpc(conn, '/restconf', 'get-bootstrapping-data', '{}', new AbortController().signal, basic(CODE)),
      { code: 'SZTP_ERR_SERVER_TLS' },
    );
    assert.equal(s.requests.length, before, 'nothing reached the server');
  } finally {
    await conn.close();
  }
});
