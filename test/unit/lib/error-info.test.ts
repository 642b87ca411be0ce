import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { errnoOf, isErrno, messageOf } from '../../../src/lib/error-info.ts';

test('messageOf: an Error gives its message, anything else its text', () => {
  assert.equal(messageOf(new TypeError('boom')), 'boom');
  assert.equal(messageOf('plain'), 'plain');
  assert.equal(messageOf(42), '42');
  assert.equal(messageOf(undefined), 'undefined');
});

test('isErrno / errnoOf read the code Node sets on system errors, not the message', () => {
  let err: unknown;
  try {
    readFileSync('/nonexistent/i10hyg');
  } catch (e) {
    err = e;
  }
  assert.equal(errnoOf(err), 'ENOENT');
  assert.equal(isErrno(err, 'ENOENT'), true);
  assert.equal(isErrno(err, 'EACCES', 'ENOENT'), true);
  assert.equal(isErrno(err, 'EACCES'), false);
  assert.equal(isErrno(new Error('ENOENT: looks like one'), 'ENOENT'), false);
  assert.equal(errnoOf({ code: 5 }), undefined);
  assert.equal(errnoOf(null), undefined);
});
