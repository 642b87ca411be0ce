import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHILD_ENV_ALLOWLIST, childEnv } from '../../../src/lib/child-env.ts';

test('childEnv passes only allowlisted variables, then the extras', () => {
  const source = {
    PATH: '/bin',
    HOME: '/root',
    LC_CTYPE: 'C.UTF-8',
    USER: 'u',
    SECRET_TOKEN: 'x',
    SZTP_CONFIG: '/etc/ztp.ini',
    TZ: undefined,
  };
  assert.deepEqual(childEnv(source, { SZTP_SCRIPT_KIND: 'pre', PATH: '/usr/bin' }), {
    PATH: '/usr/bin',
    HOME: '/root',
    LC_CTYPE: 'C.UTF-8',
    USER: 'u',
    SZTP_SCRIPT_KIND: 'pre',
  });
  assert.ok(CHILD_ENV_ALLOWLIST.every((k) => !k.startsWith('SZTP')));
});
