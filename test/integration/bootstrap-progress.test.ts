/**
 * report-progress rules over loopback (RFC 8572 §5.6, §7.3): reporting-level filtering, nothing to
 * provisional servers, mandatory 204 for bootstrap-initiated / bootstrap-complete, exactly one
 * terminating report, host keys and trust anchors in bootstrap-complete; end to end with the real
 * onboarding applier and the simulated router adapter.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { after, before, describe, test } from 'node:test';
import { createSimulatedAdapter } from '../../src/adapters/simulated.ts';
import { downloadImage } from '../../src/download/image-download.ts';
import { createServerFetcher } from '../../src/fetchers/server.ts';
import type { OnboardingSource } from '../../src/contracts/fetch.ts';
import { applyOnboarding } from '../../src/onboarding/apply.ts';
import { createStateStore } from '../../src/state/store.ts';
import { fetchContext, makeHarness, type Harness } from '../support/bootstrap-harness.ts';
import { SIMPLE_ONBOARDING, signedReply, unsignedReply } from '../support/bootstrap-fixtures.ts';
import { startBootstrapServer, type TestBootstrapServer } from '../support/bootstrap-server.ts';
import { onboardingJson } from '../support/pki.ts';

let h: Harness;
const servers: TestBootstrapServer[] = [];
before(() => {
  h = makeHarness();
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  h.cleanup();
});

async function trustedSource(
  level: 'minimal' | 'verbose',
  doc: unknown = SIMPLE_ONBOARDING,
): Promise<{ s: TestBootstrapServer; source: OnboardingSource }> {
  const s = await startBootstrapServer({
    cert: readFileSync(h.pki.server.cert),
    key: readFileSync(h.pki.server.key),
    clientCa: readFileSync(h.pki.manufacturer.cert),
  });
  servers.push(s);
  s.onGetBootstrappingData = () => unsignedReply(doc, level);
  const source = await createServerFetcher().fetch(fetchContext(h, { bootstrap: { servers: [s.url] } }));
  assert.equal(source.trustedServer, true);
  return { s, source };
}

const STEP_EVENTS = [
  'bootstrap-initiated',
  'config-initiated',
  'config-complete',
  'bootstrap-warning',
  'informational',
  'bootstrap-complete',
] as const;

describe('server reporter rules', () => {
  test('AT-36: reporting-level minimal sends only bootstrap-initiated, bootstrap-warning and the terminating report', async () => {
    const { s, source } = await trustedSource('minimal');
    for (const t of STEP_EVENTS) await source.reporter.report({ progressType: t });
    assert.deepEqual(s.progressReports(), ['bootstrap-initiated', 'bootstrap-warning', 'bootstrap-complete']);
  });

  test('AT-37: reporting-level verbose sends every report in order', async () => {
    const { s, source } = await trustedSource('verbose');
    for (const t of STEP_EVENTS) await source.reporter.report({ progressType: t });
    assert.deepEqual(s.progressReports(), [...STEP_EVENTS]);
  });

  test('AT-38: a non-204 reply to bootstrap-initiated rejects (SZTP_ERR_PROGRESS_REPORT); bootstrap-error is still sent', async () => {
    const { s, source } = await trustedSource('minimal');
    s.progressStatus = (t) => (t === 'bootstrap-initiated' ? 500 : 204);
    await assert.rejects(source.reporter.report({ progressType: 'bootstrap-initiated' }), {
      code: 'SZTP_ERR_PROGRESS_REPORT',
    });
    await source.reporter.report({ progressType: 'bootstrap-error', message: 'initiated refused' });
    assert.deepEqual(s.progressReports(), ['bootstrap-initiated', 'bootstrap-error']);
  });

  test('AT-39: a non-204 reply to bootstrap-complete rejects; one bootstrap-error may follow, nothing after it', async () => {
    const { s, source } = await trustedSource('minimal');
    s.progressStatus = (t) => (t === 'bootstrap-complete' ? 200 : 204);
    await source.reporter.report({ progressType: 'bootstrap-initiated' });
    await assert.rejects(source.reporter.report({ progressType: 'bootstrap-complete' }), {
      code: 'SZTP_ERR_PROGRESS_REPORT',
    });
    await source.reporter.report({ progressType: 'bootstrap-error' });
    await source.reporter.report({ progressType: 'bootstrap-error' });
    assert.deepEqual(s.progressReports(), ['bootstrap-initiated', 'bootstrap-complete', 'bootstrap-error']);
  });

  test('exactly one terminating report: reports after bootstrap-complete are dropped; best-effort failures do not reject', async () => {
    const { s, source } = await trustedSource('verbose');
    s.progressStatus = (t) => (t === 'config-initiated' ? 500 : 204);
    await source.reporter.report({ progressType: 'bootstrap-initiated' });
    await source.reporter.report({ progressType: 'config-initiated' });
    await source.reporter.report({ progressType: 'bootstrap-complete' });
    await source.reporter.report({ progressType: 'bootstrap-error' });
    await source.reporter.report({ progressType: 'informational' });
    assert.deepEqual(s.progressReports(), ['bootstrap-initiated', 'config-initiated', 'bootstrap-complete']);
  });

  test('bootstrap-complete carries ssh-host-keys and trust-anchor-certs; message passed through', async () => {
    const { s, source } = await trustedSource('minimal');
    await source.reporter.report({
      progressType: 'bootstrap-complete',
      message: 'done',
      sshHostKeys: [{ algorithm: 'ssh-ed25519', keyData: Buffer.from('key-blob') }],
      trustAnchorCerts: [Buffer.from('cms-chain')],
    });
    const input = s.requests.at(-1)?.input;
    assert.deepEqual(input, {
      'progress-type': 'bootstrap-complete',
      message: 'done',
      'ssh-host-keys': {
        'ssh-host-key': [{ algorithm: 'ssh-ed25519', 'key-data': Buffer.from('key-blob').toString('base64') }],
      },
      'trust-anchor-certs': { 'trust-anchor-cert': [Buffer.from('cms-chain').toString('base64')] },
    });
    assert.equal(s.requests.at(-1)?.authorized, true);
    assert.equal(s.requests.at(-1)?.headers['content-type'], 'application/yang-data+json');
  });
});

describe('end to end with the onboarding applier (simulated router)', () => {
  async function apply(source: OnboardingSource, name: string) {
    const root = join(h.dir, name);
    mkdirSync(join(root, 'router'), { recursive: true });
    const log = pino({ level: 'silent' });
    const ctx = fetchContext(h);
    const config = { ...ctx.config, agent: { ...ctx.config.agent, stateDir: join(root, 'state') } };
    const adapter = createSimulatedAdapter({
      settings: { root: join(root, 'router'), os_name: 'VendorOS', os_version: '17.3R2.1' },
      workDir: join(root, 'work'),
      baseDir: root,
      log,
    });
    return applyOnboarding(source, {
      config,
      adapter,
      store: createStateStore({ dir: config.agent.stateDir, log }),
      log,
      signal: new AbortController().signal,
      now: () => new Date(),
      download: downloadImage,
    });
  }

  test('AT-36 (applier): minimal level, config only: exactly bootstrap-initiated and bootstrap-complete (+ bootstrap-warning)', async () => {
    const { s, source } = await trustedSource('minimal');
    assert.deepEqual(await apply(source, 'at36'), { kind: 'complete' });
    const reports = s.progressReports().filter((t) => t !== 'bootstrap-warning');
    assert.deepEqual(reports, ['bootstrap-initiated', 'bootstrap-complete']);
  });

  test('AT-37 (applier): verbose level with pre-script, config and post-script: every step report in order', async () => {
    const doc = onboardingJson({
      preScript: '#!/bin/sh\nexit 0\n',
      configuration: 'hostname r2\n',
      postScript: '#!/bin/sh\nexit 0\n',
    });
    const { s, source } = await trustedSource('verbose', doc);
    assert.deepEqual(await apply(source, 'at37'), { kind: 'complete' });
    const reports = s.progressReports();
    const expected = [
      'bootstrap-initiated',
      'pre-script-initiated',
      'pre-script-complete',
      'config-initiated',
      'config-complete',
      'post-script-initiated',
      'post-script-complete',
    ];
    assert.deepEqual(
      reports.filter((t) => expected.includes(t)),
      expected,
    );
    assert.equal(reports.at(-1), 'bootstrap-complete');
  });

  test('AT-38 (applier): HTTP 500 on bootstrap-initiated aborts onboarding and bootstrap-error is sent', async () => {
    const { s, source } = await trustedSource('minimal');
    s.progressStatus = (t) => (t === 'bootstrap-initiated' ? 500 : 204);
    await assert.rejects(apply(source, 'at38'), { code: 'SZTP_ERR_PROGRESS_REPORT' });
    assert.deepEqual(s.progressReports(), ['bootstrap-initiated', 'bootstrap-error']);
  });

  test('AT-39 (applier): bootstrap-complete answered 500: the run fails and bootstrap-error is sent', async () => {
    const { s, source } = await trustedSource('minimal');
    s.progressStatus = (t) => (t === 'bootstrap-complete' ? 500 : 204);
    await assert.rejects(apply(source, 'at39'), { code: 'SZTP_ERR_PROGRESS_REPORT' });
    const reports = s.progressReports().filter((t) => t !== 'bootstrap-warning');
    assert.deepEqual(reports, ['bootstrap-initiated', 'bootstrap-complete', 'bootstrap-error']);
  });

  test('AT-32 (applier): signed onboarding from a provisional server is applied with no report-progress at all', async () => {
    const s = await startBootstrapServer({
      cert: readFileSync(h.pki.server.cert),
      key: readFileSync(h.pki.server.key),
    });
    servers.push(s);
    s.onGetBootstrappingData = (req) =>
      signedReply(h.pki, SIMPLE_ONBOARDING, { nonce: String(req.input?.nonce) }, 'verbose');
    const ctx = fetchContext(h, { device: { bootstrapTrustAnchors: undefined } } as never);
    const source = await ctx.bootstrap.followRedirect(
      { bootstrapServers: [{ address: '127.0.0.1', port: s.port }] },
      false,
      ctx,
      { fetcher: 'Mgmt4', description: 'dhcp' },
    );
    assert.deepEqual(await apply(source, 'at32'), { kind: 'complete' });
    assert.deepEqual(s.progressReports(), []);
  });
});
