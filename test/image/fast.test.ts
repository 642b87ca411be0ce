/**
 * Fast variants of the image test (root; seconds instead of minutes), on the same rootfs as the
 * QEMU image, each in an overlay so that the built rootfs stays untouched:
 * - systemd-nspawn --boot: systemd as PID 1 starts the packaged unit; `systemctl reboot` ends the
 *   container with 133 and the test boots the same directory again (as systemd-nspawn@.service
 *   does); power-off when done ends it with 0;
 * - BusyBox init in `unshare --pid` with the packaged SysV script (rcS); `busybox reboot` ends the
 *   namespace's init with SIGHUP (129), power-off with SIGINT (130), as pid_namespaces(7) says.
 * Both use the USB fetcher on a read-only bind of the stick's directory (a container has no USB
 * block devices: auto_mount off) and have no network at all (--private-network, unshare --net):
 * nothing can reach the host's network. The flow is the QEMU USB scenario's: boot image, reboot,
 * resume, scripts, configuration, bootstrap-complete.
 * @module
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeSignedBundle, writeEn9 } from '../support/pki.ts';
import { guestIni, prepare, type Prepared } from './build.ts';
import { CONFIG, IMAGE_NAME, NEW_VERSION, onboarding, statusJson, writeImage } from './scenario.ts';

const has = (path: string): boolean => existsSync(path);
const skip = process.getuid?.() !== 0 ? 'needs root' : false;
const BOOT_TIMEOUT_MS = 120_000;

let img: Prepared;
let runs: string;
let stick: string;

before(
  () => {
    img = prepare();
    runs = mkdtempSync(join(img.work, 'fast-'));
    stick = join(runs, 'stick');
    writeImage(stick);
    writeEn9(stick, makeSignedBundle(img.pki, onboarding(`file:///images/${IMAGE_NAME}`)));
  },
  { timeout: 1_800_000 },
);
after(() => {
  if (runs !== undefined) rmSync(runs, { recursive: true, force: true });
});

interface Boot {
  readonly code: number | null;
  readonly output: string;
  readonly seconds: number;
}

/** Runs argv with a deadline; the process group is killed on timeout. */
function runBoot(argv: readonly string[]): Promise<Boot> {
  const t0 = Date.now();
  // The environment an init system starts with, not the test's: npm run sets NODE, which the SysV
  // script would take as the node binary to use.
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, BOOT_TIMEOUT_MS);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // unshare re-raises a signal that ended its child: report it as a shell would (128 + number).
      resolve({
        code: code ?? (signal === null ? null : 128 + constants.signals[signal]),
        output,
        seconds: (Date.now() - t0) / 1000,
      });
    }),
  );
}

/** An overlay over the built rootfs: the variant's ztp.ini and mount point in the upper layer. */
function overlay(name: string, reboot: string): { upper: string; mountScript: string; merged: string } {
  const base = join(runs, name);
  const upper = join(base, 'upper');
  const work = join(base, 'work');
  const merged = join(base, 'merged');
  for (const d of [join(upper, 'etc', 'sztp-agent'), join(upper, 'media', 'usb0'), work, merged])
    mkdirSync(d, { recursive: true });
  writeFileSync(join(upper, 'etc', 'sztp-agent', 'ztp.ini'), guestIni({ reboot, autoMount: false }), { mode: 0o644 });
  const mountScript = `mount -t overlay overlay -o lowerdir=${img.rootfs},upperdir=${upper},workdir=${work} ${merged}`;
  return { upper, mountScript, merged };
}

/** Boots until the variant ends with something other than its reboot status (at most 4 boots). */
async function bootLoop(argv: readonly string[], rebootStatus: number): Promise<Boot[]> {
  const boots: Boot[] = [];
  do boots.push(await runBoot(argv));
  while (boots.at(-1)?.code === rebootStatus && boots.length < 4);
  return boots;
}

function checkUpper(upper: string, boots: readonly Boot[], okStatus: number, rebootStatus: number, dir: string): void {
  const read = (p: string): string | undefined =>
    existsSync(join(upper, p)) ? readFileSync(join(upper, p), 'utf8') : undefined;
  try {
    assert.deepEqual(
      boots.map((b) => b.code),
      [rebootStatus, okStatus],
      'a reboot, then power-off when done',
    );
    const state = JSON.parse(read('var/lib/sztp-agent/state.json') ?? '{}') as { phase?: string };
    assert.equal(state.phase, 'bootstrap-complete');
    assert.equal(read('etc/simos/os-version'), `${NEW_VERSION}\n`);
    assert.equal(read('etc/simos/running-config'), CONFIG);
    assert.equal(
      read('var/lib/simos/scripts.log'),
      `pre os-version=${NEW_VERSION}\npost os-version=${NEW_VERSION}\n`,
      'each script ran exactly once',
    );
  } catch (err) {
    process.stderr.write(
      `\n${boots.map((b, i) => `----- boot ${i + 1} (exit ${String(b.code)}, ${b.seconds.toFixed(1)} s) -----\n${b.output}`).join('\n')}\n`,
    );
    process.stderr.write(`----- status --json -----\n${statusJson(join(upper, 'var', 'lib', 'sztp-agent'), dir)}\n`);
    throw err;
  }
}

describe('fast variants of the image test', { skip }, () => {
  test(
    'systemd-nspawn --boot: packaged unit, reboot = exit 133, boot again, bootstrap-complete',
    { skip: has('/usr/bin/systemd-nspawn') ? false : 'apt-get install systemd-container' },
    async () => {
      const o = overlay('nspawn', 'systemctl reboot');
      const nspawn = [
        'systemd-nspawn',
        '--quiet',
        '--boot',
        '-D',
        o.merged,
        '--register=no',
        '--keep-unit',
        '--private-network',
        `--bind-ro=${stick}:/media/usb0`,
        '--console=pipe',
        '--machine=sztp-image-nspawn',
      ];
      const argv = [
        'unshare',
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        `${o.mountScript} && exec "$@"`,
        'sh',
        ...nspawn,
      ];
      const boots = await bootLoop(argv, 133);
      process.stdout.write(
        `# nspawn boots: ${boots.map((b) => `exit ${String(b.code)} in ${b.seconds.toFixed(1)} s`).join(', ')}\n`,
      );
      checkUpper(o.upper, boots, 0, 133, join(runs, 'nspawn'));
    },
  );

  test('BusyBox init in unshare --pid with the SysV script: reboot = SIGHUP (129), power-off = SIGINT (130)', async () => {
    const o = overlay('busybox', '/bin/busybox reboot');
    const m = o.merged;
    const devs = ['null', 'zero', 'random', 'urandom']
      .map((d) => `touch ${m}/dev/${d} && mount --bind /dev/${d} ${m}/dev/${d}`)
      .join(' && ');
    const script = `${o.mountScript} && mount -t tmpfs -o mode=0755 dev ${m}/dev && ${devs} && mount --bind -o ro ${stick} ${m}/media/usb0 && exec chroot ${m} /bin/busybox init`;
    const argv = [
      'unshare',
      '--pid',
      '--fork',
      '--kill-child=SIGKILL',
      '--mount',
      '--propagation',
      'private',
      '--uts',
      '--ipc',
      '--net',
      'sh',
      '-c',
      script,
    ];
    const boots = await bootLoop(argv, 129);
    process.stdout.write(
      `# busybox boots: ${boots.map((b) => `exit ${String(b.code)} in ${b.seconds.toFixed(1)} s`).join(', ')}\n`,
    );
    checkUpper(o.upper, boots, 130, 129, join(runs, 'busybox'));
    assert.match(boots[0]?.output ?? '', /SIMOS-BOOT os-version=1\.0/);
    assert.match(boots[1]?.output ?? '', /SIMOS-BOOT os-version=2\.0/);
    assert.doesNotMatch(
      boots.map((b) => b.output).join('\n'),
      /exited at once/,
      'the SysV script reports no false failure',
    );
  });
});
