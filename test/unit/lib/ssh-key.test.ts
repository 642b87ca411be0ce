import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSshPublicKey } from '../../../src/lib/ssh-key.ts';

const sshString = (s: string): Buffer => Buffer.concat([Buffer.from([0, 0, 0, s.length]), Buffer.from(s)]);
const blob = Buffer.concat([sshString('ssh-ed25519'), sshString('k'.repeat(32))]);

test('parseSshPublicKey: algorithm and blob of an OpenSSH line (comment ignored)', () => {
  const r = parseSshPublicKey(`ssh-ed25519 ${blob.toString('base64')} root@r1\n`);
  assert.ok('key' in r);
  assert.equal(r.key.algorithm, 'ssh-ed25519');
  assert.deepEqual(Buffer.from(r.key.keyData), blob);
});

test('parseSshPublicKey: a blob naming another algorithm, truncated, or not base64 is refused', () => {
  assert.match(
    (parseSshPublicKey(`ssh-rsa ${blob.toString('base64')}`) as { reason: string }).reason,
    /does not start with its algorithm name ssh-rsa/,
  );
  assert.match((parseSshPublicKey('ecdsa-sha2-nistp256 AAAAE2VjZHNh') as { reason: string }).reason, /does not start/);
  for (const bad of [
    '',
    'justoneword',
    'ssh-rsa not*base64',
    `ssh-ed25519 ${blob.toString('base64').replace(/=+$/, '')}X`,
  ]) {
    assert.ok('reason' in parseSshPublicKey(bad), bad);
  }
});
