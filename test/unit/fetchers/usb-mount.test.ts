import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MOUNT_OPTIONS, mountRemovable } from '../../../src/fetchers/usb-mount.ts';
import { silentLog } from '../../support/onboarding-env.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

let dir: string;
before(() => {
  dir = makeTempDir('mount');
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('mountRemovable', () => {
  test('no devices: nothing created', async () => {
    const m = await mountRemovable([], () => Promise.resolve(), silentLog, dir);
    assert.deepEqual(m.mountPoints, []);
    await m.release();
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a failed umount never deletes the still-mounted files; release is idempotent', async () => {
    const base = join(dir, 'b1');
    mkdirSync(base);
    const calls: string[] = [];
    const run = (file: string, args: readonly string[]): Promise<void> => {
      calls.push(`${file} ${args.join(' ')}`);
      const target = args[args.length - 1] ?? '';
      if (file === 'mount') writeFileSync(join(target, 'file-on-stick'), 'data');
      return file === 'umount' ? Promise.reject(new Error('target is busy')) : Promise.resolve();
    };
    const m = await mountRemovable([{ disk: 'sdb', partition: 'sdb1', devPath: '/dev/sdb1' }], run, silentLog, base);
    assert.equal(m.mountPoints.length, 1);
    assert.match(calls[0] ?? '', new RegExp(`^mount -o ${MOUNT_OPTIONS} /dev/sdb1 `));
    await m.release();
    await m.release();
    assert.equal(calls.filter((c) => c.startsWith('umount')).length, 1);
    assert.ok(
      existsSync(join(m.mountPoints[0] ?? '', 'file-on-stick')),
      'files of a still-mounted stick are untouched',
    );
  });
});
