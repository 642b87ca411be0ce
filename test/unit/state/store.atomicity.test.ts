/**
 * A killed writer never leaves a corrupt state file: a child process rewrites the state in a
 * tight loop and is SIGKILLed at random moments, many times; after each kill the file parses as a
 * complete, valid state, and a new store continues from it.
 * @module
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { checkShape } from '../../../src/state/machine.ts';
import { createStateStore } from '../../../src/state/store.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = makeTempDir('atomic');
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runAndKill(delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/support/state-writer.ts'), dir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      if (!killed && d.toString().includes('ready')) {
        killed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer exited without being killed (${String(signal)})`));
    });
  });
}

test('SIGKILL at random moments never leaves a partial or invalid state file', async () => {
  let previousEvents = 0;
  for (let i = 0; i < 12; i++) {
    await runAndKill(Math.floor(Math.random() * 150));
    const doc: unknown = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    const checked = checkShape(doc);
    assert.ok(checked.ok, `kill ${i}: ${checked.ok ? '' : checked.reason}`);
    assert.ok(
      checked.state.events.length >= previousEvents,
      'the history only grows (each run continues from the last durable state)',
    );
    previousEvents = checked.state.events.length;
  }
  assert.ok(previousEvents > 12, 'the writer did write between kills');
  // Temp files of killed writers are swept by the next store that writes.
  writeFileSync(join(dir, '.state.json.tmp-999999999-dead'), 'partial');
  await createStateStore({ dir, log: pino({ level: 'silent' }) }).update((s) => s);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.includes('.tmp-')),
    [],
  );
});
