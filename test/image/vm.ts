/**
 * Boots the emulator image under QEMU for the image test: TCG unless `-accel kvm` really boots
 * (probed once with a BusyBox initramfs, since on some hosts KVM opens but never gets a kernel
 * past its setup code), the serial console captured with timestamps, the guest's disk a sparse
 * copy of the built disk, an optional USB mass-storage stick (FAT, removable) and an optional NIC
 * on a tap that the caller created inside a network namespace. QEMU is killed by its pid on timeout.
 * After power-off, files are read back from the disk with debugfs.
 * @module
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface VmOptions {
  readonly kernel: string;
  readonly initrd: string;
  /** The disk the guest boots from (a copy: the guest writes to it). */
  readonly disk?: string;
  /** FAT image attached as a removable USB mass-storage device. */
  readonly usbStick?: string;
  /** Network namespace and tap to attach a virtio NIC to (QEMU runs inside that namespace). */
  readonly net?: { readonly netns: string; readonly tap: string };
  readonly accel: 'kvm' | 'tcg';
  readonly timeoutMs: number;
  /** Called for each serial line as it arrives. */
  readonly onLine?: (line: string) => void;
}

export interface VmResult {
  readonly code: number | null;
  readonly timedOut: boolean;
  /** `[   12.3] text` lines: seconds since QEMU started. */
  readonly serial: string;
  readonly wallSeconds: number;
}

const QEMU = 'qemu-system-x86_64';
const APPEND = 'console=ttyS0 root=/dev/vda rw net.ifnames=0 panic=-1 systemd.show_status=1';

function qemuArgs(o: VmOptions): string[] {
  const args = [
    '-accel',
    o.accel === 'kvm' ? 'kvm' : 'tcg,tb-size=128',
    '-smp',
    '2',
    '-m',
    '512',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-serial',
    'stdio',
    '-monitor',
    'none',
    '-kernel',
    o.kernel,
    '-initrd',
    o.initrd,
    '-append',
    APPEND,
  ];
  if (o.disk !== undefined) args.push('-drive', `file=${o.disk},if=virtio,format=raw,cache=unsafe`);
  if (o.usbStick !== undefined) {
    args.push(
      '-device',
      'qemu-xhci,id=xhci',
      '-drive',
      `if=none,id=stick,format=raw,readonly=on,file=${o.usbStick}`,
      '-device',
      'usb-storage,bus=xhci.0,drive=stick,removable=on',
    );
  }
  if (o.net !== undefined) {
    args.push(
      '-netdev',
      `tap,id=n0,ifname=${o.net.tap},script=no,downscript=no`,
      '-device',
      'virtio-net-pci,netdev=n0,mac=52:54:00:5a:7e:01',
    );
  }
  return args;
}

/** Runs QEMU until the guest powers off (QEMU exits) or the timeout kills it. */
export function boot(o: VmOptions): Promise<VmResult> {
  const argv =
    o.net === undefined ? [QEMU, ...qemuArgs(o)] : ['ip', 'netns', 'exec', o.net.netns, QEMU, ...qemuArgs(o)];
  const t0 = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  const stamp = (text: string): void => {
    const line = `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}] ${text.replace(/\r/g, '')}`;
    lines.push(line);
    o.onLine?.(line);
  };
  child.stdout.on('data', (d: Buffer) => {
    partial += d.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) stamp(p);
  });
  child.stderr.on('data', (d: Buffer) => stamp(`qemu: ${d.toString('utf8').trim()}`));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, o.timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      if (partial !== '') stamp(partial);
      resolve({ code, timedOut, serial: lines.join('\n'), wallSeconds: (Date.now() - t0) / 1000 });
    });
  });
}

/** Whether `-accel kvm` boots the image's kernel to userspace within `timeoutMs` (BusyBox initramfs). */
export async function kvmBoots(kernel: string, work: string, timeoutMs = 15_000): Promise<boolean> {
  if (process.env.SZTP_IMAGE_ACCEL === 'tcg') return false;
  try {
    execFileSync('test', ['-w', '/dev/kvm']);
  } catch {
    return false;
  }
  const dir = mkdtempSync(join(work, 'kvm-probe-'));
  try {
    mkdirSync(join(dir, 'root', 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(dir, 'root', 'bin', 'busybox'));
    writeFileSync(
      join(dir, 'root', 'init'),
      '#!/bin/busybox sh\n/bin/busybox echo KVM-PROBE-USERSPACE\n/bin/busybox poweroff -f\n',
      { mode: 0o755 },
    );
    const list = spawnSync('sh', ['-c', 'cd root && find . | cpio -o -H newc --quiet | gzip > ../probe.cpio.gz'], {
      cwd: dir,
    });
    if (list.status !== 0) return false;
    const r = await boot({ kernel, initrd: join(dir, 'probe.cpio.gz'), accel: 'kvm', timeoutMs });
    return r.serial.includes('KVM-PROBE-USERSPACE');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A FAT USB stick image holding the files of `dir`. */
export function makeStick(dir: string, image: string): void {
  execFileSync('truncate', ['-s', '16M', image]);
  execFileSync('mkfs.vfat', ['-n', 'ZTPSTICK', image], { stdio: 'ignore' });
  execFileSync('mcopy', ['-s', '-i', image, ...listTop(dir), '::/']);
}

function listTop(dir: string): string[] {
  return execFileSync('find', [dir, '-mindepth', '1', '-maxdepth', '1'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

/** Reads one file from an ext4 disk image (undefined when absent). */
export function readFromDisk(disk: string, path: string): string | undefined {
  const r = spawnSync('debugfs', ['-R', `cat ${path}`, disk], { encoding: 'utf8' });
  if (r.status !== 0 || /File not found/.test(r.stderr)) return undefined;
  return r.stdout;
}

/** Copies a directory out of an ext4 disk image into `dest` (created). */
export function dumpFromDisk(disk: string, path: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  execFileSync('debugfs', ['-R', `rdump ${path} ${dest}`, disk], { stdio: 'ignore' });
}
