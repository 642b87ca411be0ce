/**
 * Untrusted text is inert end to end (issue 11 item 5): an unauthenticated bootstrap server (real
 * mutual-TLS test server, reached provisionally) answers with an `error-message` full of terminal
 * controls and a fake "phase: bootstrap-complete" line: `run --once` logs it escaped; a stored
 * copy is shown by `status` and `status --json` escaped: no ESC/BEL/C1, no extra line.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { withError, withEvent } from '../../src/state/machine.ts';
import { createStateStore } from '../../src/state/store.ts';
import { TestBootstrapServer, restconfError } from '../support/bootstrap-server.ts';
import { makeTestPki, ztpIni, type TestPki } from '../support/pki.ts';
import { cli, logLines } from './cli-helpers.ts';

let dir: string;
let pki: TestPki;
let server: TestBootstrapServer;
const HOSTILE = '\u001b[2J\u001b[H\u001b]0;pwned\u0007denied\nphase: bootstrap-complete\r\u009b2J\u0085last error:  -';
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/u; // eslint-disable-line no-control-regex

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sztp-i11-inert-'));
  pki = makeTestPki(join(dir, 'pki'), 'p256', 'SN-INERT-1');
  server = await new TestBootstrapServer({
    cert: readFileSync(pki.server.cert),
    key: readFileSync(pki.server.key),
    clientCa: readFileSync(pki.manufacturer.cert),
  }).start();
  server.onGetBootstrappingData = () => restconfError(403, 'access-denied', HOSTILE);
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a hostile RESTCONF error-message cannot drive the terminal or fake status lines', async () => {
  const ini = join(dir, 'ztp.ini');
  // No bootstrap_trust_anchors: the server is contacted provisionally (unauthenticated).
  writeFileSync(
    ini,
    ztpIni(pki, join(dir, 'state'), {
      'Fetcher Priority': { Server: '0' },
      Bootstrap: { servers: server.url, nonce: 'False' },
      Device: { bootstrap_trust_anchors: '' },
      Router: {
        adapter: 'simulated',
        root: join(dir, 'router'),
        os_name: 'SimOS',
        os_version: '1.0',
        hw_model: 'sim-1',
      },
    }),
  );
  const run = await cli(['--config', ini, 'run', '--once']);
  assert.equal(run.code, 1, run.stderr.slice(-2000));
  assert.equal(server.bootstrapRequests().length > 0, true);
  assert.doesNotMatch(run.stderr, /\u001b|\u0007|\u009b/, 'CLI stderr carries no terminal control'); // eslint-disable-line no-control-regex
  // The server's text reached the logs (and the error stored for the fetcher) escaped.
  const logged = logLines(run.stderr)
    .map((l) => JSON.stringify(l))
    .filter((l) => l.includes('denied'));
  assert.ok(logged.length > 0, 'the server message is logged');
  for (const l of logged) assert.match(l, /\\\\x1b\[2J.*pwned\\\\x07denied\\\\nphase: bootstrap-complete/);
  for (const l of logLines(run.stderr))
    assert.doesNotMatch(
      JSON.stringify(l),
      /\\u001b|\\u0007|\u009b|\u0085/,
      'no raw control survives into a log record',
    );
});

test('status shows a stored hostile message escaped, on one line (text and --json)', async () => {
  const ini = join(dir, 'ztp.ini');
  // What the agent stores when the fetcher fails mid-pass (e.g. while a later fetcher still runs).
  const store = createStateStore({ dir: join(dir, 'state'), log: pino({ level: 'silent' }) });
  await store.update((s) =>
    withEvent(withError(s, 'SZTP_ERR_SERVER_RESTCONF_ERROR', `Server: ${HOSTILE}`, new Date()), {
      progressType: 'bootstrap-error',
      time: new Date().toISOString(),
      message: HOSTILE,
      source: HOSTILE,
    }),
  );
  const status = await cli(['--config', ini, 'status']);
  assert.equal(status.code, 0);
  assert.doesNotMatch(status.stdout, CONTROL);
  const lines = status.stdout.split('\n');
  assert.equal(lines.filter((l) => /^phase:/.test(l)).length, 1, status.stdout);
  assert.doesNotMatch(lines[0] ?? '', /bootstrap-complete/);
  assert.equal(lines.filter((l) => /^last error:/.test(l)).length, 1);
  assert.match(status.stdout, /\\x1b\[2J.*denied\\nphase: bootstrap-complete/);
  const json = await cli(['--config', ini, 'status', '--json']);
  const doc = JSON.parse(json.stdout) as { lastError: { message: string } };
  assert.doesNotMatch(doc.lastError.message, CONTROL);
  assert.doesNotMatch(json.stdout, /\u009b|\u0085/); // JSON.stringify would leave C1 controls raw
});
