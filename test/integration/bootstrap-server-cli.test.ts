/**
 * The standalone test bootstrap server (`npm run test-server`): starts on a free port, prints its
 * ready line, serves per-serial artifacts from `--dir` to the real client, and records progress
 * with `--log`.
 * @module
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fetchContext, makeHarness, type Harness } from '../support/bootstrap-harness.ts';
import { SIMPLE_ONBOARDING } from '../support/bootstrap-fixtures.ts';
import { makeSignedBundle } from '../support/pki.ts';

let h: Harness;
let child: ChildProcess | undefined;
let output = '';

before(() => {
  h = makeHarness();
});
after(() => {
  child?.kill('SIGTERM');
  h.cleanup();
});

test('npm run test-server: ready line, per-serial artifacts from --dir, requests logged', async () => {
  const dir = join(h.dir, 'data', h.pki.serial);
  mkdirSync(dir, { recursive: true });
  const bundle = makeSignedBundle(h.pki, SIMPLE_ONBOARDING);
  writeFileSync(join(dir, 'conveyed-information.cms'), bundle.conveyedInformation);
  writeFileSync(join(dir, 'owner-certificate.cms'), bundle.ownerCertificate);
  writeFileSync(join(dir, 'ownership-voucher.vcj'), bundle.ownershipVoucher);
  writeFileSync(join(dir, 'reporting-level'), 'verbose\n');
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('../support/bootstrap-server-cli.ts', import.meta.url)),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--dir',
      join(h.dir, 'data'),
      '--cert',
      h.pki.server.cert,
      '--key',
      h.pki.server.key,
      '--client-ca',
      h.pki.manufacturer.cert,
      '--log',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: fileURLToPath(new URL('../..', import.meta.url)) },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child?.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
      const m = /^listening (https:\/\/127\.0\.0\.1:\d+)$/m.exec(output);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child?.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const port = Number(new URL(url).port);
  const ctx = fetchContext(h, { bootstrap: { nonce: false } });
  const source = await ctx.bootstrap.followRedirect(
    { bootstrapServers: [{ address: '127.0.0.1', port }] },
    false,
    ctx,
    { fetcher: 'Mgmt4', description: 'dhcp' },
  );
  assert.equal(source.trustedServer, true); // validates against the configured bootstrap trust anchors (C-066)
  assert.equal(source.info.signed, true);
  await source.reporter.report({ progressType: 'bootstrap-initiated' });
  await new Promise((r) => setTimeout(r, 200));
  assert.match(
    output,
    new RegExp(
      `POST /restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data serial=${h.pki.serial} authorized=true`,
    ),
  );
  assert.match(output, /report-progress .*"progress-type":"bootstrap-initiated"/);
});
