import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePemSignedData, parseSshPublicKeys } from '../../../src/adapters/command-output.ts';

const blob = (alg: string, rest = 'key'): string => {
  const a = Buffer.from(alg);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(a.length);
  return Buffer.concat([len, a, Buffer.from(rest)]).toString('base64');
};

test('OpenSSH lines: good keys kept, comments and blanks skipped, malformed ones reported', () => {
  const text = [
    `ssh-ed25519 ${blob('ssh-ed25519')} root@r1`,
    '',
    '# comment',
    `ssh-rsa ${blob('ssh-ed25519')}`,
    'ssh-rsa not*base64',
    'justoneword',
  ].join('\n');
  const r = parseSshPublicKeys(text);
  assert.equal(r.items.length, 1);
  assert.equal(r.items[0]!.algorithm, 'ssh-ed25519');
  assert.deepEqual(Buffer.from(r.items[0]!.keyData).toString('base64'), blob('ssh-ed25519'));
  assert.equal(r.problems.length, 3);
});

test('PKCS7/CMS PEM blocks become DER; other blocks and garbage are reported', () => {
  const der = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]).toString('base64');
  const text = `junk\n-----BEGIN PKCS7-----\n${der}\n-----END PKCS7-----\n-----BEGIN CMS-----\n${Buffer.from([4, 1, 0]).toString('base64')}\n-----END CMS-----\n`;
  const r = parsePemSignedData(text);
  assert.deepEqual(
    r.items.map((d) => Buffer.from(d).toString('base64')),
    [der],
  );
  assert.deepEqual(r.problems, ['a PEM block is not a DER ContentInfo']);
  assert.deepEqual(parsePemSignedData('no pem here').problems, ['no PKCS7/CMS PEM block in the output']);
  assert.deepEqual(parsePemSignedData(''), { items: [], problems: [] });
});
