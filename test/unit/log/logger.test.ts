/**
 * The root logger: JSON lines, secrets redacted at any of the first three levels, one child per
 * room, errors as `{ code, err }`, and the synchronous fd destination (lines are out before the
 * process exits, even with process.exit()).
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { SztpError } from '../../../src/errors.ts';
import { createLogger, room } from '../../../src/log/logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, log: createLogger({ level: 'debug', destination }) };
}

test('secrets are redacted; other fields stay', () => {
  const { lines, log } = capture();
  log.info(
    {
      key: 'PRIVATE',
      configuration: 'hostname r1',
      info: { preConfigurationScript: 'rm -rf', onboarding: { postConfigurationScript: 'x', configuration: 'y' } },
      creds: { privateKeyPkcs8: 'der' },
      serial: 'SN1',
    },
    'hello',
  );
  const l = lines[0]!;
  assert.equal(l.key, '[Redacted]');
  assert.equal(l.configuration, '[Redacted]');
  assert.deepEqual(l.info, {
    preConfigurationScript: '[Redacted]',
    onboarding: { postConfigurationScript: '[Redacted]', configuration: '[Redacted]' },
  });
  assert.deepEqual(l.creds, { privateKeyPkcs8: '[Redacted]' });
  assert.equal(l.serial, 'SN1');
  assert.ok(!JSON.stringify(lines).includes('PRIVATE'));
});

test('room() children carry the room; errors are logged with their code', () => {
  const { lines, log } = capture();
  const e = new SztpError('SZTP_ERR_USB_NOT_FOUND', 'no EN9');
  room(log, 'daemon').warn({ code: e.code, err: e }, 'failed');
  assert.equal(lines[0]?.room, 'daemon');
  assert.equal(lines[0]?.code, 'SZTP_ERR_USB_NOT_FOUND');
  assert.equal((lines[0]?.err as Record<string, unknown>).message, 'no EN9');
  assert.match(String(lines[0]?.time), /^\d{4}-\d\d-\d\dT/);
});

test('the fd destination is synchronous: lines are written before process.exit()', () => {
  const script = `import { createLogger } from ${JSON.stringify(join(import.meta.dirname, '../../../src/log/logger.ts'))};
    const log = createLogger();
    for (let i = 0; i < 200; i++) log.info({ i }, 'line');
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: join(import.meta.dirname, '../../..'),
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '', 'logs never go to stdout');
  assert.equal(r.stderr.trim().split('\n').length, 200);
});
