import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCRIPT_DIR_NAME, stateLayout } from '../../../src/lib/state-layout.ts';

test('stateLayout names every file and folder under state_dir', () => {
  const l = stateLayout('/var/lib/sztp-agent');
  assert.equal(l.stateFile, '/var/lib/sztp-agent/state.json');
  assert.equal(l.lockFile, '/var/lib/sztp-agent/agent.lock');
  assert.equal(l.adapterDir, '/var/lib/sztp-agent/adapter');
  assert.equal(l.csrDir, '/var/lib/sztp-agent/csr');
  assert.equal(l.imagesDir, '/var/lib/sztp-agent/images');
  assert.equal(l.scriptDirPrefix('pre'), '/var/lib/sztp-agent/pre-script-');
  assert.deepEqual(l.clearedOnReset, [l.adapterDir, l.csrDir]);
  assert.ok(SCRIPT_DIR_NAME.test('post-script-a1B2c3'));
  assert.ok(!SCRIPT_DIR_NAME.test('post-script-a1B2c3/x') && !SCRIPT_DIR_NAME.test('images'));
});
