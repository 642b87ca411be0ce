/**
 * The daemon's network-change journal (src/daemon/network-journal.ts) with a memory store and a
 * fake `ip`: records kept in the state file, undone on start last first, records of another boot
 * dropped, an undo that fails kept for the next start, one whose item is gone already dropped.
 * The real thing, with a SIGKILLed agent in a network namespace: test/system/dhcp-crash.test.ts.
 * @module
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { stateNetworkJournal, undoDeadAgentNetworkChanges } from '../../../src/daemon/network-journal.ts';
import type { IpRunner } from '../../../src/dhcp/address.ts';
import { currentBootIdSync } from '../../../src/platform/boot-id.ts';
import { MemoryStore } from '../../support/memory-store.ts';

const log = pino({ level: 'silent' });
const now = (): Date => new Date('2026-01-02T03:04:05.000Z');

test('record and forget keep the undo argv in state.network, in the order made', async () => {
  const store = new MemoryStore();
  const j = stateNetworkJournal(store, now);
  await j.record(['link', 'set', 'dev', 'eth0', 'down']);
  await j.record(['-4', 'addr', 'del', '192.0.2.100/24', 'dev', 'eth0']);
  assert.deepEqual(
    (await store.read()).network?.map((r) => r.argv.join(' ')),
    ['link set dev eth0 down', '-4 addr del 192.0.2.100/24 dev eth0'],
  );
  assert.equal((await store.read()).network?.[0]?.bootId, currentBootIdSync());
  await j.forget(['-4', 'addr', 'del', '192.0.2.100/24', 'dev', 'eth0']);
  await j.forget(['link', 'set', 'dev', 'eth0', 'down']);
  assert.equal((await store.read()).network, undefined, 'no records left: the key is gone');
});

test('on start: undone last first; another boot dropped; a failing undo kept; an item gone already dropped', async () => {
  const bootId = currentBootIdSync() ?? 'this-boot';
  const at = now().toISOString();
  const store = new MemoryStore();
  await store.update((s) => ({
    ...s,
    network: [
      { argv: ['link', 'set', 'dev', 'eth0', 'down'], bootId, at },
      { argv: ['-4', 'addr', 'del', '192.0.2.100/24', 'dev', 'eth0'], bootId, at },
      { argv: ['-4', 'route', 'del', 'default', 'via', '192.0.2.1', 'dev', 'eth0'], bootId, at },
      { argv: ['-4', 'route', 'del', '255.255.255.255/32', 'dev', 'eth0'], bootId, at },
      { argv: ['-4', 'addr', 'del', '198.51.100.7/24', 'dev', 'eth1'], bootId: 'an-earlier-boot', at },
    ],
  }));
  const calls: string[] = [];
  const ip: IpRunner = (argv) => {
    const line = argv.join(' ');
    calls.push(line);
    if (line.includes('255.255.255.255'))
      return Promise.resolve({ code: 2, stderr: 'RTNETLINK answers: No such process' });
    if (line.startsWith('link'))
      return Promise.resolve({ code: 2, stderr: 'RTNETLINK answers: Operation not permitted' });
    return Promise.resolve({ code: 0, stderr: '' });
  };
  await undoDeadAgentNetworkChanges(store, log, ip);
  assert.deepEqual(
    calls,
    [
      '-4 route del 255.255.255.255/32 dev eth0',
      '-4 route del default via 192.0.2.1 dev eth0',
      '-4 addr del 192.0.2.100/24 dev eth0',
      'link set dev eth0 down',
    ],
    'last made, first undone; the earlier boot record is not run',
  );
  assert.deepEqual(
    (await store.read()).network?.map((r) => r.argv.join(' ')),
    ['link set dev eth0 down'],
    'only the failed undo stays',
  );
});

test('nothing recorded: no ip call, no state write', async () => {
  const store = new MemoryStore();
  let called = false;
  await undoDeadAgentNetworkChanges(store, log, () => {
    called = true;
    return Promise.resolve({ code: 0, stderr: '' });
  });
  assert.equal(called, false);
  assert.equal(store.updates, 0);
});
