/**
 * Builds the emulator image of `npm run test:image` (root), the way an image builder would:
 * 1. base: Debian 12 from the host's apt sources with mmdebstrap (minbase + systemd, udev, the
 *    kernel, iproute2; customized by base-customize.sh), cached as `base.tar` in the work
 *    directory and rebuilt only when its recipe changes (about 600 MiB before pruning: never committed);
 * 2. rootfs: the base unpacked, the agent installed from its `npm pack` tarball with
 *    `npm install -g` into /usr/local (Node.js is the host's `node` binary: Debian 12's nodejs is
 *    18), the packaged unit enabled unmodified (plus the test drop-in from guest/), the SysV script
 *    in /etc/init.d, SimOS (the emulated router, guest/), ztp.ini, the IDevID (0600 key) and
 *    trust anchors;
 * 3. disk: an ext4 image made from the rootfs with `mkfs.ext4 -d` (no loop device), plus the
 *    kernel and initrd for QEMU's -kernel/-initrd.
 * The work directory is `$SZTP_IMAGE_WORK` (default /var/tmp/sztp-image).
 * @module
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { makeTestPki, type TestPki } from '../support/pki.ts';

export const REPO = join(import.meta.dirname, '..', '..');
export const WORK = process.env.SZTP_IMAGE_WORK ?? '/var/tmp/sztp-image';
export const SERIAL = 'SN-IMAGE-0001';

const HERE = import.meta.dirname;
const PACKAGES = [
  'systemd-sysv',
  'udev',
  'kmod',
  'iproute2',
  'procps',
  'linux-image-amd64',
  'initramfs-tools',
  'libstdc++6',
  'dosfstools',
  'busybox',
];
const DPKG_EXCLUDES = [
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/locale/*',
  'path-include=/usr/share/locale/locale.alias',
];
/** The host's apt sources (the image uses the same mirror as the machine it is built on). */
const SOURCES = '/etc/apt/sources.list.d/debian.sources';

const run = (file: string, args: readonly string[], opts: { cwd?: string } = {}): string =>
  execFileSync(file, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts });

export interface Timings {
  [step: string]: number;
}

function timed<T>(timings: Timings, step: string, fn: () => T): T {
  const t0 = Date.now();
  try {
    return fn();
  } finally {
    timings[step] = (Date.now() - t0) / 1000;
  }
}

/** The cached mmdebstrap base; rebuilt when the package list or the customize hook changes. */
export function ensureBase(timings: Timings = {}): string {
  const hook = join(HERE, 'base-customize.sh');
  const key = createHash('sha256')
    .update(JSON.stringify([PACKAGES, DPKG_EXCLUDES, readFileSync(hook, 'utf8')]))
    .digest('hex')
    .slice(0, 16);
  const tar = join(WORK, `base-${key}.tar`);
  if (existsSync(tar)) return tar;
  mkdirSync(WORK, { recursive: true });
  const partial = join(WORK, `base-${key}.partial.tar`);
  timed(timings, 'mmdebstrap', () =>
    run('mmdebstrap', [
      '--variant=minbase',
      '--format=tar',
      `--include=${PACKAGES.join(',')}`,
      ...DPKG_EXCLUDES.map((e) => `--dpkgopt=${e}`),
      `--customize-hook=sh ${hook} "$1"`,
      'bookworm',
      partial,
      existsSync(SOURCES) ? SOURCES : '/etc/apt/sources.list',
    ]),
  );
  renameSync(partial, tar);
  for (const old of readdirSync(WORK).filter((f) => /^base-.*\.tar$/.test(f) && join(WORK, f) !== tar))
    rmSync(join(WORK, old), { force: true });
  return tar;
}

export interface GuestConfig {
  /** ztp.ini [Command Adapter] reboot command. */
  readonly reboot: string;
  readonly autoMount: boolean;
}

/** The guest's ztp.ini: one file for every QEMU scenario (USB first, then DHCP on eth0). */
export function guestIni(g: GuestConfig): string {
  return `# ztp.ini of the emulator image (test/image/build.ts)
[Startup]
start: True
retry_forever: True

[Fetcher Priority]
USB: 0
Mgmt4: 1
Mgmt6: 2

[Device]
idevid_cert: /etc/sztp-agent/idevid.pem
idevid_key: /etc/sztp-agent/idevid.key
voucher_trust_anchors: /etc/sztp-agent/trust/voucher-anchors.pem
bootstrap_trust_anchors: /etc/sztp-agent/trust/bootstrap-anchors.pem

[USB]
mount_points: /media/usb0
auto_mount: ${g.autoMount ? 'True' : 'False'}

[Interfaces]
Mgmt: eth0

[DHCP]
timeout_seconds: 10

[Router]
adapter: command

[Command Adapter]
hw_model: simos-emulator
identity_os_name: cat /etc/simos/os-name
identity_os_version: cat /etc/simos/os-version
snapshot: cat /etc/simos/running-config
restore: install -m 0644 {snapshot} /etc/simos/running-config
commit_replace: install -m 0644 {file} /etc/simos/running-config
commit_merge: sh -c 'cat "$1" >> /etc/simos/running-config' sh {file}
install_image: /usr/local/sbin/simos-install {image} {os_name} {os_version}
reboot: ${g.reboot}

[Agent]
log_level: info
backoff_initial_seconds: 2
backoff_max_seconds: 10
`;
}

export interface Prepared {
  readonly work: string;
  readonly rootfs: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly disk: string;
  readonly pki: TestPki;
  readonly timings: Timings;
}

/** The agent's `npm pack` tarball (dist/ is built by `prepare`). */
function packAgent(dir: string): string {
  mkdirSync(dir, { recursive: true });
  run('npm', ['pack', '--pack-destination', dir], { cwd: REPO });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (tgz === undefined) throw new Error('npm pack produced no tarball');
  return join(dir, tgz);
}

function installAgent(rootfs: string, tgz: string): void {
  const args = [
    'install',
    '-g',
    '--prefix',
    join(rootfs, 'usr', 'local'),
    '--omit=dev',
    '--no-audit',
    '--no-fund',
    tgz,
  ];
  try {
    run('npm', [...args, '--offline'], { cwd: REPO }); // dependencies from the cache `npm ci` filled
  } catch {
    run('npm', [...args, '--prefer-offline'], { cwd: REPO });
  }
  copyFileSync(process.execPath, join(rootfs, 'usr', 'local', 'bin', 'node'));
  chmodSync(join(rootfs, 'usr', 'local', 'bin', 'node'), 0o755);
  const pkg = join(rootfs, 'usr', 'local', 'lib', 'node_modules', 'sztp-agent', 'packaging');
  // As docs/install.md: the unit unmodified into /etc/systemd/system and enabled; the SysV script.
  copyFileSync(
    join(pkg, 'systemd', 'sztp-agent.service'),
    join(rootfs, 'etc', 'systemd', 'system', 'sztp-agent.service'),
  );
  const wants = join(rootfs, 'etc', 'systemd', 'system', 'multi-user.target.wants');
  mkdirSync(wants, { recursive: true });
  symlinkSync('/etc/systemd/system/sztp-agent.service', join(wants, 'sztp-agent.service'));
  symlinkSync('/etc/systemd/system/simos-activate.service', join(wants, 'simos-activate.service'));
  copyFileSync(join(pkg, 'init.d', 'sztp-agent'), join(rootfs, 'etc', 'init.d', 'sztp-agent'));
  chmodSync(join(rootfs, 'etc', 'init.d', 'sztp-agent'), 0o755);
}

/** IDevID, trust anchors and ztp.ini with the modes docs/install.md asks for. */
export function installCredentials(rootfs: string, pki: TestPki, ini: string): void {
  const etc = join(rootfs, 'etc', 'sztp-agent');
  mkdirSync(join(etc, 'trust'), { recursive: true, mode: 0o755 });
  const put = (name: string, content: string | Buffer, mode: number): void => {
    writeFileSync(join(etc, name), content, { mode });
    chmodSync(join(etc, name), mode);
  };
  put('ztp.ini', ini, 0o644);
  put('idevid.pem', Buffer.concat([readFileSync(pki.device.cert), readFileSync(pki.manufacturer.cert)]), 0o644);
  put('idevid.key', readFileSync(pki.device.key), 0o600);
  put(join('trust', 'voucher-anchors.pem'), readFileSync(pki.masaCa.cert), 0o644);
  put(join('trust', 'bootstrap-anchors.pem'), readFileSync(pki.serverCa.cert), 0o644);
}

/** Builds (or reuses, when the agent and the recipe are unchanged) the rootfs, kernel, initrd and disk. */
export function prepare(): Prepared {
  const timings: Timings = {};
  const base = ensureBase(timings);
  const tgz = timed(timings, 'npm pack', () => packAgent(join(WORK, `pack-${process.pid}`)));
  const guestFiles = run('find', [join(HERE, 'guest'), '-type', 'f'])
    .split('\n')
    .filter(Boolean)
    .sort();
  const key = createHash('sha256')
    .update(readFileSync(tgz))
    .update(base)
    .update(readFileSync(import.meta.filename))
    .update(JSON.stringify(guestFiles.map((f) => [f, readFileSync(f, 'utf8')])))
    .digest('hex')
    .slice(0, 16);
  const work = join(WORK, `image-${key}`);
  const done = join(work, 'ready');
  const pkiDir = join(work, 'pki');
  if (!existsSync(done)) {
    for (const old of readdirSync(WORK).filter((f) => f.startsWith('image-')))
      rmSync(join(WORK, old), { recursive: true, force: true });
    const rootfs = join(work, 'rootfs');
    mkdirSync(rootfs, { recursive: true });
    timed(timings, 'unpack base', () => run('tar', ['-xf', base, '-C', rootfs, '--numeric-owner']));
    timed(timings, 'install agent', () => installAgent(rootfs, tgz));
    cpSync(join(HERE, 'guest'), rootfs, { recursive: true });
    // Nothing on the console but the agent's boot: no gettys (the console is the serial log).
    for (const unit of ['getty-static.service', 'getty.target', 'getty@.service']) {
      rmSync(join(rootfs, 'etc', 'systemd', 'system', unit), { force: true });
      symlinkSync('/dev/null', join(rootfs, 'etc', 'systemd', 'system', unit));
    }
    const pki = makeTestPki(pkiDir, 'p256', SERIAL);
    installCredentials(rootfs, pki, guestIni({ reboot: 'systemctl reboot', autoMount: true }));
    const boot = readdirSync(join(rootfs, 'boot'));
    copyFileSync(join(rootfs, 'boot', boot.find((f) => f.startsWith('vmlinuz-')) ?? 'vmlinuz'), join(work, 'vmlinuz'));
    copyFileSync(
      join(rootfs, 'boot', boot.find((f) => f.startsWith('initrd.img-')) ?? 'initrd.img'),
      join(work, 'initrd.img'),
    );
    const disk = join(work, 'disk.raw');
    timed(timings, 'mkfs.ext4 -d', () => run('mkfs.ext4', ['-q', '-F', '-L', 'sztp-root', '-d', rootfs, disk, '1G']));
    writeFileSync(done, `${JSON.stringify(timings)}\n`);
  }
  rmSync(join(WORK, `pack-${process.pid}`), { recursive: true, force: true });
  const pki = makeTestPkiRef(pkiDir);
  return {
    work,
    rootfs: join(work, 'rootfs'),
    kernel: join(work, 'vmlinuz'),
    initrd: join(work, 'initrd.img'),
    disk: join(work, 'disk.raw'),
    pki,
    timings,
  };
}

/** The TestPki of an already built image (the same file names makeTestPki writes). */
function makeTestPkiRef(dir: string): TestPki {
  const f = (name: string): { cert: string; key: string } => ({
    cert: join(dir, `${name}.crt`),
    key: join(dir, `${name}.key`),
  });
  return {
    dir,
    kind: 'p256',
    serial: SERIAL,
    manufacturer: f('manufacturer-ca'),
    masaCa: f('masa-ca'),
    masa: f('masa'),
    device: f('idevid'),
    ownerCa: f('owner-ca'),
    owner: f('owner'),
    serverCa: f('server-ca'),
    server: f('server'),
  };
}
