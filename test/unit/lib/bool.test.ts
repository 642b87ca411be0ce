import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBoolean } from '../../../src/lib/bool.ts';

test('parseBoolean: True/yes/on/1 and False/no/off/0 in any case, blanks ignored', () => {
  for (const t of ['True', 'yes', 'ON', '1', ' true ']) assert.equal(parseBoolean(t), true, t);
  for (const f of ['False', 'NO', 'off', '0', '\tfalse']) assert.equal(parseBoolean(f), false, f);
  for (const bad of ['', 'maybe', 'y', 'n', '2', 'truee', 'enabled']) assert.equal(parseBoolean(bad), undefined, bad);
});
