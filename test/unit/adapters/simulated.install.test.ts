/**
 * The simulated router installs a boot image without reading it into memory (issue 12: a 1 GiB
 * image cost 1.1 GB of RSS): a hard link on the same filesystem, a kernel copy across
 * filesystems, atomically (no temporary file left, the target complete or absent).
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  ftruncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createSimulatedAdapter } from '../../../src/adapters/simulated.ts';
import { silentLog } from '../../support/onboarding-env.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'sztp-sim-install-'));
// tmpfs: another filesystem than the temporary directory's, so the copy path is taken.
const other = mkdtempSync(join('/dev/shm', 'sztp-sim-install-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(other, { recursive: true, force: true });
});

function adapter(root: string) {
  return createSimulatedAdapter({
    settings: { root, os_name: 'SimOS', os_version: '1.0' },
    workDir: join(dir, 'work'),
    baseDir: dir,
    log: silentLog,
  });
}

function installed(root: string): string {
  const record = JSON.parse(readFileSync(join(root, 'installed-image.json'), 'utf8')) as { file: string };
  return record.file;
}

test('same filesystem: the image is hard-linked into place, nothing copied, no temporary file left', async () => {
  const root = join(dir, 'router-link');
  const img = join(dir, 'img-link.bin');
  writeFileSync(img, 'SIMULATED-IMAGE os-name=SimOS os-version=2.0\npayload');
  await adapter(root).installBootImage({ path: img, sha256: 'ab'.repeat(32) });
  const file = installed(root);
  assert.equal(statSync(file).ino, statSync(img).ino);
  assert.equal(readFileSync(file, 'utf8'), readFileSync(img, 'utf8'));
  assert.deepEqual(readdirSync(join(root, 'images')), [`${'ab'.repeat(32)}.img`]);
});

test('another filesystem: a byte-identical copy, atomically', async () => {
  assert.notEqual(
    statSync(other).dev,
    statSync(dir).dev,
    '/dev/shm and the temporary directory are different filesystems',
  );
  const root = join(dir, 'router-copy');
  const img = join(other, 'img-copy.bin');
  writeFileSync(
    img,
    Buffer.concat([Buffer.from('SIMULATED-IMAGE os-name=SimOS os-version=2.1\n'), Buffer.alloc(300_000, 7)]),
  );
  await adapter(root).installBootImage({ path: img, sha256: 'cd'.repeat(32) });
  const file = installed(root);
  assert.notEqual(statSync(file).ino, statSync(img).ino);
  assert.ok(readFileSync(file).equals(readFileSync(img)));
  assert.deepEqual(readdirSync(join(root, 'images')), [`${'cd'.repeat(32)}.img`]);
});

test('a 256 MiB image across filesystems costs far less memory than its size (peak RSS of a real process)', () => {
  const img = join(other, 'big.bin');
  const fd = openSync(img, 'w');
  ftruncateSync(fd, 256 * 1048576);
  closeSync(fd);
  const script = `
import { createSimulatedAdapter } from ${JSON.stringify(join(REPO, 'src', 'adapters', 'simulated.ts'))};
const log = { info() {}, warn() {}, debug() {}, error() {}, child() { return log; } };
const a = createSimulatedAdapter({ settings: { root: ${JSON.stringify(join(dir, 'router-big'))}, os_name: 'SimOS', os_version: '1.0' }, workDir: ${JSON.stringify(join(dir, 'work-big'))}, baseDir: '/', log });
const before = process.resourceUsage().maxRSS;
await a.installBootImage({ path: ${JSON.stringify(img)}, sha256: 'ef'.repeat(32) });
console.log(JSON.stringify({ before, after: process.resourceUsage().maxRSS }));
`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const { before, after: peak } = JSON.parse(r.stdout) as { before: number; after: number };
  assert.equal(statSync(installed(join(dir, 'router-big'))).size, 256 * 1048576);
  // Reading the image into a buffer would add at least 256 MiB; streaming adds a few MiB at most.
  assert.ok(peak - before < 32 * 1024, `RSS grew by ${Math.round((peak - before) / 1024)} MiB`);
});
