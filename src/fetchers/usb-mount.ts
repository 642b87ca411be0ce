/**
 * Optional auto-mount of removable storage (`[USB] auto_mount`, RFC 8572 §4.1 C-020: "the device
 * detects the medium and mounts its filesystem"): finds removable block devices in /sys (a fake
 * tree in tests), mounts the first partition of each read-only (`ro,nosuid,nodev,noexec`) under a
 * private 0700 directory, and unmounts them when the fetcher's source is released.
 * @module
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SztpError } from '../errors.ts';

export interface RemovableDevice {
  /** Block device name (`sdb`). */
  readonly disk: string;
  /** The partition mounted (`sdb1`), or the disk itself when it has no partition table. */
  readonly partition: string;
  /** `/dev/sdb1`. */
  readonly devPath: string;
}

/** Runs mount/umount; injected so tests need no root. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<void>;

export const MOUNT_OPTIONS = 'ro,nosuid,nodev,noexec';

export const execRunner: CommandRunner = (file, args) =>
  new Promise((resolvePromise, reject) => {
    execFile(file, [...args], { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err === null) resolvePromise();
      else
        reject(
          new SztpError('SZTP_ERR_USB_MOUNT', `${file} ${args.join(' ')}: ${stderr.trim() || err.message}`, {
            cause: err,
          }),
        );
    });
  });

async function readTrim(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function partitionNumber(disk: string, name: string): number {
  const n = Number.parseInt(name.slice(disk.length).replace(/^p/, ''), 10);
  return Number.isNaN(n) ? Number.MAX_SAFE_INTEGER : n;
}

/** Removable disks with a medium (`/sys/block/<d>/removable` = 1, size > 0) and their first partition. */
export async function discoverRemovable(sysRoot = '/sys', devRoot = '/dev'): Promise<RemovableDevice[]> {
  let disks: string[];
  try {
    disks = (await readdir(join(sysRoot, 'block'))).sort();
  } catch {
    return [];
  }
  const found: RemovableDevice[] = [];
  for (const disk of disks) {
    const base = join(sysRoot, 'block', disk);
    if ((await readTrim(join(base, 'removable'))) !== '1') continue;
    if ((await readTrim(join(base, 'size'))) === '0') continue;
    const entries = await readdir(base).catch(() => [] as string[]);
    const partitions: string[] = [];
    for (const e of entries) {
      if (e.startsWith(disk) && (await readTrim(join(base, e, 'partition'))) !== undefined) partitions.push(e);
    }
    partitions.sort((a, b) => partitionNumber(disk, a) - partitionNumber(disk, b));
    const partition = partitions[0] ?? disk;
    found.push({ disk, partition, devPath: join(devRoot, partition) });
  }
  return found;
}

export interface MountedSticks {
  readonly mountPoints: readonly string[];
  /** Unmounts everything and removes the private directory (idempotent). */
  release(): Promise<void>;
}

/** Mounts each device read-only under a new private directory; failures are logged and skipped. */
export async function mountRemovable(
  devices: readonly RemovableDevice[],
  run: CommandRunner,
  log: Logger,
  mountBase = tmpdir(),
): Promise<MountedSticks> {
  if (devices.length === 0) return { mountPoints: [], release: () => Promise.resolve() };
  const base = await mkdtemp(join(mountBase, 'sztp-usb-'));
  const mounted: string[] = [];
  for (const dev of devices) {
    const dir = join(base, dev.partition);
    await mkdir(dir, { mode: 0o700 });
    try {
      await run('mount', ['-o', MOUNT_OPTIONS, dev.devPath, dir]);
      mounted.push(dir);
      log.info({ device: dev.devPath, mountPoint: dir }, 'removable storage mounted read-only');
    } catch (err) {
      log.warn({ err, code: 'SZTP_ERR_USB_MOUNT', device: dev.devPath }, 'mounting removable storage failed');
    }
  }
  let released = false;
  return {
    mountPoints: mounted,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      for (const dev of devices) {
        const dir = join(base, dev.partition);
        if (mounted.includes(dir)) {
          try {
            await run('umount', [dir]);
          } catch (err) {
            log.warn({ err, mountPoint: dir }, 'unmounting removable storage failed');
            continue;
          }
        }
        // Never a recursive delete: a directory that is still a mount point must not lose the stick's files.
        await rmdir(dir).catch(() => undefined);
      }
      await rmdir(base).catch(() => undefined);
    },
  };
}
