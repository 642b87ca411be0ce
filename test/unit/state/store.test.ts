/**
 * The JSON state store: factory-default initial state, durable atomic updates with mode 0600,
 * serialised concurrent updates, bounded events, corrupt files set aside and the backup used, or
 * refused when the backup is unreadable too (SZTP_ERR_STATE_CORRUPT), unsupported schema versions refused (SZTP_ERR_STATE_SCHEMA).
 * @module
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { MAX_EVENTS, displayPhase, withSecureMode } from '../../../src/state/machine.ts';
import { STATE_LOCK_LINGER_MS, STATE_LOCK_MAX_HOLD_MS, createStateStore } from '../../../src/state/store.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sztp-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

test('a fresh store reads the factory-default state and does not create files', async () => {
  const store = createStateStore({ dir: join(dir, 'state'), log: pino({ level: 'silent' }) });
  const s = await store.read();
  assert.equal(s.phase, 'factory-default');
  assert.equal(s.secureMode, true);
  assert.deepEqual(s.events, []);
  assert.deepEqual(readdirSync(dir), []);
});

test('updates are durable, 0600, in a 0700 directory, and leave no temp files', async () => {
  const stateDir = join(dir, 'state');
  const store = createStateStore({
    dir: stateDir,
    log: pino({ level: 'silent' }),
    now: () => new Date('2026-01-02T03:04:05Z'),
  });
  await store.update((s) => withSecureMode(s, false));
  assert.equal(statSync(store.path).mode & 0o777, 0o600);
  assert.equal(statSync(stateDir).mode & 0o777, 0o700);
  const doc = JSON.parse(readFileSync(store.path, 'utf8')) as Record<string, unknown>;
  assert.equal(doc.secureMode, false);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.updatedAt, '2026-01-02T03:04:05.000Z');
  assert.deepEqual(
    readdirSync(stateDir).sort(),
    ['state.json', 'state.json.bak', 'state.lock'],
    'no temp files; the backup; the lock file stays (flock files are never unlinked)',
  );
  const again = await createStateStore({ dir: stateDir, log: pino({ level: 'silent' }) }).read();
  assert.equal(displayPhase(again), 'disabled');
});

test('concurrent updates are serialised (no lost update)', async () => {
  const store = createStateStore({ dir, log: pino({ level: 'silent' }) });
  await Promise.all(
    Array.from({ length: 25 }, (_, i) =>
      store.update((s) => ({
        ...s,
        events: [...s.events, { progressType: 'informational', time: new Date().toISOString(), message: String(i) }],
      })),
    ),
  );
  const s = await store.read();
  assert.deepEqual(
    s.events.map((e) => e.message),
    Array.from({ length: 25 }, (_, i) => String(i)),
  );
});

test('the event history is bounded; the oldest events are dropped', async () => {
  const store = createStateStore({ dir, log: pino({ level: 'silent' }) });
  const many = Array.from({ length: MAX_EVENTS + 7 }, (_, i) => ({
    progressType: 'informational' as const,
    time: 't',
    message: String(i),
  }));
  const s = await store.update((x) => ({ ...x, events: many }));
  assert.equal(s.events.length, MAX_EVENTS);
  assert.equal(s.events[0]?.message, '7');
});

for (const [name, content] of [
  ['truncated JSON', '{"schemaVersion":1,"secureMode":tr'],
  ['not an object', '[1,2,3]'],
  ['wrong shape', '{"schemaVersion":1,"secureMode":"yes","phase":"factory-default","events":[]}'],
  ['unknown phase', '{"schemaVersion":1,"secureMode":true,"phase":"dancing","events":[]}'],
  [
    'unknown error code',
    '{"schemaVersion":1,"secureMode":true,"phase":"in-progress","events":[],"lastError":{"code":"NOPE","message":"m","time":"t"}}',
  ],
] as const) {
  test(`a corrupt state file (${name}) with a good backup: set aside with SZTP_ERR_STATE_CORRUPT, the backup used`, async () => {
    const good = '{"schemaVersion":1,"secureMode":false,"phase":"bootstrap-complete","events":[]}';
    writeFileSync(join(dir, 'state.json'), content);
    writeFileSync(join(dir, 'state.json.bak'), good);
    const { log, lines } = capture();
    const store = createStateStore({ dir, log, now: () => new Date('2026-05-06T07:08:09.010Z') });
    const s = await store.read();
    assert.equal(s.phase, 'bootstrap-complete');
    assert.equal(s.secureMode, false, 'never back to factory-default');
    assert.deepEqual(readdirSync(dir).sort(), ['state.json.bak', 'state.json.corrupt-2026-05-06T07-08-09-010Z']);
    assert.equal(readFileSync(join(dir, 'state.json.corrupt-2026-05-06T07-08-09-010Z'), 'utf8'), content);
    assert.equal(lines[0]?.code, 'SZTP_ERR_STATE_CORRUPT');
  });

  test(`a corrupt state file (${name}) and no readable backup: refused with SZTP_ERR_STATE_CORRUPT naming \`sztp-agent reset\`, files left alone`, async () => {
    writeFileSync(join(dir, 'state.json'), content);
    writeFileSync(join(dir, 'state.json.bak'), '{"trunc');
    const store = createStateStore({ dir, log: pino({ level: 'silent' }) });
    await assert.rejects(
      store.read(),
      (e: { code?: string; message?: string }) =>
        e.code === 'SZTP_ERR_STATE_CORRUPT' && /sztp-agent reset/.test(e.message ?? ''),
    );
    await assert.rejects(
      store.update((x) => x),
      { code: 'SZTP_ERR_STATE_CORRUPT' },
    );
    assert.equal(readFileSync(join(dir, 'state.json'), 'utf8'), content);
    const fresh = await store.reset();
    assert.equal(fresh.phase, 'factory-default', 'reset still works');
  });
}

test('every write keeps the same state as state.json.bak, a separate file', async () => {
  const store = createStateStore({ dir, log: pino({ level: 'silent' }) });
  await store.update((s) => ({ ...s, source: 'one' }));
  await store.update((s) => ({ ...s, source: 'two' }));
  assert.equal((JSON.parse(readFileSync(join(dir, 'state.json.bak'), 'utf8')) as { source: string }).source, 'two');
  assert.notEqual(
    statSync(join(dir, 'state.json')).ino,
    statSync(join(dir, 'state.json.bak')).ino,
    'not a hard link: truncating one leaves the other',
  );
  writeFileSync(join(dir, 'state.json'), '');
  assert.equal((await store.read()).source, 'two', 'a truncated state file falls back to the backup');
  rmSync(join(dir, 'state.json.bak'));
  await store.update((s) => ({ ...s, source: 'three' }));
  rmSync(join(dir, 'state.json'));
  assert.equal((await store.read()).source, 'three', 'a missing state file falls back to the backup');
});

test('state.json missing and its backup unreadable: refused with SZTP_ERR_STATE_CORRUPT, never factory-default', async () => {
  writeFileSync(join(dir, 'state.json.bak'), '{"schemaVersion":1,"secureMode":fal');
  const store = createStateStore({ dir, log: pino({ level: 'silent' }) });
  await assert.rejects(
    store.read(),
    (e: { code?: string; message?: string }) =>
      e.code === 'SZTP_ERR_STATE_CORRUPT' && /is missing.*sztp-agent reset/.test(e.message ?? ''),
  );
});

test('a state file of another schema version is refused and left alone (SZTP_ERR_STATE_SCHEMA)', async () => {
  const content = '{"schemaVersion":2,"secureMode":true,"phase":"factory-default","events":[]}';
  writeFileSync(join(dir, 'state.json'), content);
  const store = createStateStore({ dir, log: pino({ level: 'silent' }) });
  await assert.rejects(store.read(), { code: 'SZTP_ERR_STATE_SCHEMA' });
  await assert.rejects(
    store.update((s) => s),
    { code: 'SZTP_ERR_STATE_SCHEMA' },
  );
  assert.equal(readFileSync(join(dir, 'state.json'), 'utf8'), content);
});

test('reset writes the factory-default state', async () => {
  const store = createStateStore({ dir, log: pino({ level: 'silent' }) });
  await store.update((s) => ({ ...withSecureMode(s, false), phase: 'bootstrap-complete', source: 'usb' }));
  const s = await store.reset();
  assert.equal(s.phase, 'factory-default');
  assert.equal(s.secureMode, true);
  assert.equal(s.source, undefined);
});

test('two processes updating the same state at once lose no update (state.lock)', async () => {
  // Without the cross-process lock, one process's read-modify-write overwrote the other's change
  // (`secure-mode disable` while the daemon ran was lost in about 1 run in 5).
  const count = 60;
  const start = Date.now() + 1500;
  const appender = join(import.meta.dirname, '..', '..', 'support', 'state-appender.ts');
  const runs = ['a', 'b'].map(
    (tag) =>
      new Promise<number | null>((resolve) => {
        spawn(process.execPath, ['--import', 'tsx', appender, dir, tag, String(count), String(start)], {
          stdio: 'inherit',
        }).on('exit', resolve);
      }),
  );
  assert.deepEqual(await Promise.all(runs), [0, 0]);
  const messages = (await createStateStore({ dir, log: pino({ level: 'silent' }) }).read()).events.map(
    (e) => e.message,
  );
  for (const tag of ['a', 'b']) {
    const mine = messages.filter((m) => m?.startsWith(`${tag} `));
    assert.equal(mine.length, count, `${count - mine.length} of ${tag}'s updates were lost`);
  }
});

/** Whether another process can take state.lock right now (flock --nonblock on a fresh open). */
function lockFree(): boolean {
  return spawnSync('flock', ['--nonblock', join(dir, 'state.lock'), 'true']).status === 0;
}

test('a burst of updates holds state.lock once, then lets it go: another process gets it a moment later', async () => {
  const store = createStateStore({ dir, log: pino({ level: 'silent' }) });
  for (let i = 0; i < 5; i++) await store.update((s) => ({ ...s, secureMode: i % 2 === 0 }));
  // Held between updates of a burst (each flock costs a process start) ...
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(lockFree(), false, 'state.lock is still held right after the burst');
  // ... and released when no update follows.
  await new Promise((r) => setTimeout(r, STATE_LOCK_LINGER_MS + 150));
  assert.equal(lockFree(), true, `state.lock released ${STATE_LOCK_LINGER_MS} ms after the last update`);
  // The next update locks again (and sees what was written before).
  assert.equal((await store.update((s) => s)).secureMode, true);
  assert.equal(lockFree(), false);
});

test('updates coming faster than the linger never starve another process: it gets state.lock within the longest hold', async () => {
  const store = createStateStore({ dir, log: pino({ level: 'silent' }) });
  await store.update((s) => s);
  let updating = true;
  const loop = (async () => {
    for (let i = 0; updating; i++) {
      await store.update((s) => ({ ...s, secureMode: i % 2 === 0 }));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const started = Date.now();
  const waited = await new Promise<{ code: number | null; ms: number }>((resolve) => {
    spawn('flock', ['--wait', '5', join(dir, 'state.lock'), 'true']).on('exit', (code) => {
      resolve({ code, ms: Date.now() - started });
    });
  });
  updating = false;
  await loop;
  assert.equal(waited.code, 0, 'the other process got the lock');
  assert.ok(waited.ms < STATE_LOCK_MAX_HOLD_MS + 1500, `it waited ${waited.ms} ms`);
});
