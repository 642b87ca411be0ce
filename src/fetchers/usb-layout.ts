/**
 * Reading bootstrapping data from removable storage (RFC 8572 §4.1, C-020..C-025): finds `EN9` on a
 * mounted stick in either layout — `EN9/{conveyed-information.cms, owner-certificate.cms,
 * ownership-voucher.vcj|.cms}` (the seed) or `EN9/<serial>/bootstrapping-data/…` (Cisco's USB
 * tool; this device's serial wins) — reads the artifacts with bounded sizes, refuses anything whose
 * real path leaves the stick, and maps `file://` download URIs (`file:///disk2:/images/x`,
 * `file:///images/x`) to paths inside the stick.
 * @module
 */
import { realpathSync } from 'node:fs';
import { lstat, realpath, stat } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import { SztpError } from '../errors.ts';
import { readRegularFile } from '../platform/regular-file.ts';
import type { BootstrappingArtifacts } from '../types.ts';
import { isErrno, messageOf } from '../lib/error-info.ts';

/** Largest artifact file read from a stick. */
export const MAX_ARTIFACT_BYTES = 16 * 1024 * 1024;
/** Longest `file://` path accepted, and longest path component. */
export const MAX_URI_PATH = 1024;
const MAX_COMPONENT = 255;
/** A serial number usable as a directory name on the stick. */
const SAFE_SERIAL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const EN9 = 'EN9';
export const CI_FILE = 'conveyed-information.cms';
export const OC_FILE = 'owner-certificate.cms';
export const OV_FILES = ['ownership-voucher.vcj', 'ownership-voucher.cms'] as const;

export interface UsbBundleLocation {
  /** Real path of the mount point. */
  readonly root: string;
  /** Directory holding the artifacts. */
  readonly dir: string;
  readonly layout: 'flat' | 'per-serial';
}

/** True when `path` is `root` or inside it. */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Real path of `path` if it exists and stays on the stick; undefined if absent; throws if it leaves. */
async function safeReal(root: string, path: string): Promise<string | undefined> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return undefined;
    throw new SztpError('SZTP_ERR_USB_UNSAFE_PATH', `cannot resolve ${path}: ${messageOf(err)}`, { cause: err });
  }
  if (!isInside(root, real)) {
    throw new SztpError('SZTP_ERR_USB_UNSAFE_PATH', `${path} resolves to ${real}, outside the stick ${root}`, {
      evidence: { path, real, root },
    });
  }
  return real;
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}

/** Finds this device's artifact directory under `mountPoint/EN9`; undefined when there is no EN9. */
export async function locateBundle(mountPoint: string, serial: string): Promise<UsbBundleLocation | undefined> {
  let root: string;
  try {
    root = await realpath(mountPoint);
  } catch {
    return undefined;
  }
  const en9 = await safeReal(root, join(root, EN9));
  if (en9 === undefined || !(await isDir(en9))) return undefined;
  if (SAFE_SERIAL.test(serial)) {
    const perSerial = await safeReal(root, join(en9, serial, 'bootstrapping-data'));
    if (perSerial !== undefined && (await isDir(perSerial))) return { root, dir: perSerial, layout: 'per-serial' };
  }
  return { root, dir: en9, layout: 'flat' };
}

/** Deadline for one read from a stick (a dying stick must not hold the agent). */
export const ARTIFACT_READ_TIMEOUT_MS = 10_000;

/** Reads one artifact file (regular file on the stick, at most MAX_ARTIFACT_BYTES); undefined if absent. */
export async function readArtifact(
  loc: UsbBundleLocation,
  name: string,
  maxBytes = MAX_ARTIFACT_BYTES,
  signal?: AbortSignal,
): Promise<Uint8Array | undefined> {
  const path = join(loc.dir, name);
  try {
    await lstat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  const real = await safeReal(loc.root, path);
  if (real === undefined) return undefined; // dangling symlink
  // A FIFO or device node on the stick would block open() for ever: regular files only, read under a deadline.
  return readRegularFile(real, maxBytes, {
    code: 'SZTP_ERR_USB_UNSAFE_PATH',
    readTimeoutMs: ARTIFACT_READ_TIMEOUT_MS,
    ...(signal === undefined ? {} : { signal }),
  });
}

/** The three artifacts of a location. CI is required; owner certificate and voucher come as a pair. */
export async function readBundle(loc: UsbBundleLocation, signal?: AbortSignal): Promise<BootstrappingArtifacts> {
  const conveyedInformation = await readArtifact(loc, CI_FILE, MAX_ARTIFACT_BYTES, signal);
  if (conveyedInformation === undefined) {
    throw new SztpError('SZTP_ERR_USB_ARTIFACT_MISSING', `${join(loc.dir, CI_FILE)} is missing`, {
      evidence: { dir: loc.dir, missing: CI_FILE },
    });
  }
  const ownerCertificate = await readArtifact(loc, OC_FILE, MAX_ARTIFACT_BYTES, signal);
  let ownershipVoucher: Uint8Array | undefined;
  for (const name of OV_FILES) {
    ownershipVoucher = await readArtifact(loc, name, MAX_ARTIFACT_BYTES, signal);
    if (ownershipVoucher !== undefined) break;
  }
  if ((ownerCertificate === undefined) !== (ownershipVoucher === undefined)) {
    const missing = ownerCertificate === undefined ? OC_FILE : OV_FILES.join(' or ');
    throw new SztpError(
      'SZTP_ERR_USB_ARTIFACT_MISSING',
      `${loc.dir} lacks ${missing} (owner certificate and voucher come together)`,
      { evidence: { dir: loc.dir, missing } },
    );
  }
  return {
    conveyedInformation,
    ...(ownerCertificate === undefined ? {} : { ownerCertificate }),
    ...(ownershipVoucher === undefined ? {} : { ownershipVoucher }),
  };
}

/**
 * Maps a `file://` download URI to a path inside the stick mounted at `root` (a real path), or
 * undefined. `file:///disk2:/images/x` and `file:///images/x` both mean `<root>/images/x`: a
 * leading IOS-XR device prefix (`/disk2:`, `/harddisk:`, `/usb0:`) is dropped. Host must be empty
 * or `localhost`; `..`, NUL, over-long paths and symlinks leaving the stick give undefined.
 */
export function resolveOnStick(root: string, uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'file:' || (url.host !== '' && url.host !== 'localhost')) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
  if (path.length > MAX_URI_PATH || path.includes('\0')) return undefined;
  path = path.replace(/^\/[A-Za-z][A-Za-z0-9]*:(?=\/)/, '');
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0 || segments.some((s) => s === '..' || s.length > MAX_COMPONENT)) return undefined;
  const candidate = join(root, ...posix.normalize(segments.join('/')).split('/'));
  if (!isInside(root, candidate)) return undefined;
  try {
    const real = realpathSync(candidate);
    return isInside(root, real) ? real : undefined;
  } catch {
    return candidate; // absent: the downloader reports it and tries the next mirror
  }
}
