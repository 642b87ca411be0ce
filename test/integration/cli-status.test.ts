/**
 * `status [--json]` and `reset` as real processes: the JSON shape (phase, source, lastError,
 * events with progressType/time/message), the `disabled` phase when secure-mode is off, and reset
 * returning to factory-default with the simulated router's configuration removed.
 * @module
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli, sandbox } from './cli-helpers.ts';

const box = sandbox();
after(() => {
  box.cleanup();
});

interface StatusDoc {
  phase: string;
  secureMode: boolean;
  source: string | null;
  lastError: { code: string; message: string; time: string } | null;
  events: { progressType: string; time: string; message: string }[];
}

async function status(): Promise<StatusDoc> {
  const r = await cli(['--config', box.ini, 'status', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as StatusDoc;
}

test('status --json on a factory-default device', async () => {
  const doc = await status();
  assert.equal(doc.phase, 'factory-default');
  assert.equal(doc.secureMode, true);
  assert.equal(doc.source, null);
  assert.equal(doc.lastError, null);
  assert.deepEqual(doc.events, []);
  assert.equal(existsSync(box.stateDir), false, 'status does not create state');
});

test('status shows recorded events in order with times, the source and the last error; text form too', async () => {
  mkdirSync(box.stateDir, { recursive: true });
  writeFileSync(
    join(box.stateDir, 'state.json'),
    JSON.stringify({
      schemaVersion: 1,
      secureMode: true,
      phase: 'in-progress',
      source: 'usb:/media/usb0/EN9',
      lastError: { code: 'SZTP_ERR_SCRIPT_FAILED', message: 'pre-script exited 3', time: '2026-01-01T00:00:03.000Z' },
      events: [
        { progressType: 'bootstrap-initiated', time: '2026-01-01T00:00:01.000Z', message: 'start' },
        { progressType: 'pre-script-error', time: '2026-01-01T00:00:02.000Z' },
      ],
    }),
  );
  const doc = await status();
  assert.equal(doc.phase, 'in-progress');
  assert.equal(doc.source, 'usb:/media/usb0/EN9');
  assert.equal(doc.lastError?.code, 'SZTP_ERR_SCRIPT_FAILED');
  assert.deepEqual(doc.events, [
    { progressType: 'bootstrap-initiated', time: '2026-01-01T00:00:01.000Z', message: 'start' },
    { progressType: 'pre-script-error', time: '2026-01-01T00:00:02.000Z', message: '' },
  ]);
  const text = await cli(['--config', box.ini, 'status']);
  assert.match(text.stdout, /^phase: +in-progress$/m);
  assert.match(text.stdout, /^last error: +SZTP_ERR_SCRIPT_FAILED: pre-script exited 3/m);
  assert.match(text.stdout, /2026-01-01T00:00:01.000Z {2}bootstrap-initiated {2}start/);
});

test('secure-mode disable shows as phase disabled', async () => {
  assert.equal((await cli(['--config', box.ini, 'secure-mode', 'disable'])).code, 0);
  assert.equal((await status()).phase, 'disabled');
});

test('reset returns to factory-default and removes the simulated running-config', async () => {
  mkdirSync(box.routerRoot, { recursive: true });
  writeFileSync(join(box.routerRoot, 'running-config'), 'hostname r1\n');
  const r = await cli(['--config', box.ini, 'reset']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(join(box.routerRoot, 'running-config')), false);
  const doc = await status();
  assert.equal(doc.phase, 'factory-default');
  assert.equal(doc.secureMode, true);
  assert.deepEqual(doc.events, []);
  assert.equal(doc.lastError, null);
});
