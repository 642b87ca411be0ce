/**
 * The `simulated` router adapter: a router emulated on the file system under `[Router] root`, so
 * the whole agent (RFC 8572 §5.6 onboarding: boot image, scripts, configuration, rollback) runs
 * without hardware or root.
 *
 * Files under `root`:
 * - `running-config`: the running configuration; absent on a factory-default device. `replace`
 *   writes the bytes, `merge` appends them; every write is temp file + fsync + rename + directory fsync.
 * - `installed-image.json`: the image installed by `installBootImage` (waits for the reboot).
 * - `pending-reboot`: written by `reboot()`. The next `identity()` "boots": the installed image
 *   becomes `running-image.json`, whose os-name/os-version are then reported.
 * - the running image's digest (`runningImageDigest`): the installed image's file once booted;
 *   before any install, the file named by the optional `running_image_file` setting (the factory
 *   image), else unknown.
 * - `ssh/*.pub` (OpenSSH public keys) and `trust-anchors/*.cms` (DER) if present: returned for
 *   `bootstrap-complete`.
 * Snapshots live in the adapter work directory (`<state_dir>/adapter/snapshots`).
 *
 * Test hooks (documented in docs/adapters.md): a configuration containing a line `!fail-commit` is
 * rejected (SZTP_ERR_CONFIG_COMMIT, nothing written); an image whose first line is
 * `SIMULATED-IMAGE os-name=<n> os-version=<v>` boots as that name/version whatever the onboarding
 * information claimed; env `SZTP_SIMULATED_CRASH_AT=<point>` SIGKILLs the agent at that point
 * (`snapshot`, `commit`, `install`, `reboot`, `script-pre`, `script-post`) to test crash safety.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SztpError } from '../errors.ts';
import { errnoOf, isErrno, messageOf } from '../lib/error-info.ts';
import { writeFileAtomic } from '../lib/fs-atomic.ts';
import { hashFile } from '../lib/hash.ts';
import { parseSshPublicKey } from '../lib/ssh-key.ts';
import type { SshHostKey } from '../progress/reporter.ts';
import type { RunningIdentity, HashAlgorithm } from '../types.ts';
import { runProcess } from './simulated-run.ts';
import {
  ROUTER_ADAPTER_API_VERSION,
  type AdapterContext,
  type BootImageInstall,
  type ConfigSnapshot,
  type ConfigurationHandling,
  type RouterAdapter,
  type RunScriptOptions,
  type ScriptResult,
} from './router-adapter.ts';

/** The marker line that makes the simulated router reject a configuration. */
export const FAIL_COMMIT_MARKER = '!fail-commit';
const CRASH_ENV = 'SZTP_SIMULATED_CRASH_AT';
/** Test hook: `SZTP_SIMULATED_FAIL_AT=reboot` makes reboot() fail. */
const FAIL_ENV = 'SZTP_SIMULATED_FAIL_AT';
const IMAGE_HEADER = /^SIMULATED-IMAGE os-name=(\S+) os-version=(\S+)/;

interface ImageRecord {
  readonly osName?: string;
  readonly osVersion?: string;
  readonly sha256?: string;
  readonly file?: string;
  readonly installedAt?: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/**
 * Puts `src` at `path` atomically without reading it into memory (a 1 GiB image must not cost
 * 1 GiB of RSS): a hard link when both are on one filesystem (no data copied; the agent's file
 * is never rewritten in place, a new download is a new file), else a kernel-side copy; then fsync
 * and rename, so `path` is either absent or complete.
 */
export async function placeFileAtomic(src: string, path: string): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    try {
      await link(src, tmp);
    } catch (err) {
      if (!['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP'].includes(errnoOf(err) ?? '')) throw err;
      await copyFile(src, tmp, constants.COPYFILE_EXCL);
    }
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Test hook: kill this process (like a power cut) when `SZTP_SIMULATED_CRASH_AT` names `point`. */
function crashPoint(point: string): void {
  if (process.env[CRASH_ENV] === point) process.kill(process.pid, 'SIGKILL');
}

function required(settings: Readonly<Record<string, string>>, key: string): string {
  const value = settings[key];
  if (value === undefined || value === '') {
    throw new SztpError('SZTP_ERR_CONFIG_VALUE', `[Router] ${key} is required by the simulated adapter`, {
      stage: 'adapter',
    });
  }
  return value;
}

/** Creates the simulated adapter for `[Router] root`, `os_name`, `os_version`, `hw_model`, optional `serial_number`. */
export function createSimulatedAdapter(ctx: AdapterContext): RouterAdapter {
  const root = resolve(ctx.baseDir, required(ctx.settings, 'root'));
  const base = {
    osName: required(ctx.settings, 'os_name'),
    osVersion: required(ctx.settings, 'os_version'),
    hwModel: ctx.settings.hw_model ?? 'simulated-router',
  };
  const serial = ctx.settings.serial_number;
  const factoryImage =
    ctx.settings.running_image_file === undefined ? undefined : resolve(ctx.baseDir, ctx.settings.running_image_file);
  const runningConfig = join(root, 'running-config');
  const installedImage = join(root, 'installed-image.json');
  const runningImage = join(root, 'running-image.json');
  const pendingReboot = join(root, 'pending-reboot');
  const snapshotDir = join(ctx.workDir, 'snapshots');
  const log = ctx.log.child({ adapter: 'simulated' });

  async function readImage(path: string): Promise<ImageRecord | undefined> {
    const raw = await readOptional(path);
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as ImageRecord);
  }

  /** The simulated boot: a pending reboot activates the installed image. */
  async function bootIfPending(): Promise<void> {
    if (!(await exists(pendingReboot))) return;
    const installed = await readImage(installedImage);
    if (installed !== undefined) {
      await writeFileAtomic(runningImage, JSON.stringify(installed));
      await rm(installedImage, { force: true });
    }
    await rm(pendingReboot, { force: true });
    log.info({ image: installed }, 'simulated reboot done');
  }

  const adapter: RouterAdapter = {
    name: 'simulated',
    apiVersion: ROUTER_ADAPTER_API_VERSION,

    async identity(): Promise<RunningIdentity> {
      await mkdir(root, { recursive: true });
      await bootIfPending();
      const running = await readImage(runningImage);
      const id = {
        hwModel: base.hwModel,
        osName: running?.osName ?? base.osName,
        osVersion: running?.osVersion ?? base.osVersion,
      };
      return serial === undefined ? id : { ...id, serialNumber: serial };
    },

    async runningImageDigest(algorithm: HashAlgorithm): Promise<string | undefined> {
      await bootIfPending();
      const file = (await readImage(runningImage))?.file ?? factoryImage;
      if (file === undefined) return undefined;
      return (await hashFile(file, algorithm === 'sha-256' ? 'sha256' : 'sha512')).toString('hex');
    },

    async installBootImage(image: BootImageInstall): Promise<void> {
      try {
        await mkdir(join(root, 'images'), { recursive: true });
        const file = join(root, 'images', `${image.sha256}.img`);
        const head = Buffer.alloc(200);
        const fh = await open(image.path, 'r');
        let bytes = 0;
        try {
          ({ bytesRead: bytes } = await fh.read(head, 0, head.length, 0));
        } finally {
          await fh.close();
        }
        const m = IMAGE_HEADER.exec(head.subarray(0, bytes).toString('latin1'));
        await placeFileAtomic(image.path, file);
        const record: ImageRecord = {
          sha256: image.sha256,
          file,
          installedAt: new Date().toISOString(),
          ...(m?.[1] !== undefined ? { osName: m[1] } : image.osName !== undefined ? { osName: image.osName } : {}),
          ...(m?.[2] !== undefined
            ? { osVersion: m[2] }
            : image.osVersion !== undefined
              ? { osVersion: image.osVersion }
              : {}),
        };
        await writeFileAtomic(installedImage, JSON.stringify(record));
      } catch (err) {
        throw new SztpError('SZTP_ERR_BOOT_IMAGE_INSTALL', `simulated install failed: ${messageOf(err)}`, {
          cause: err,
        });
      }
      crashPoint('install');
    },

    async reboot(): Promise<void> {
      if (process.env[FAIL_ENV] === 'reboot')
        throw new SztpError('SZTP_ERR_ADAPTER_COMMAND', `simulated reboot failed (${FAIL_ENV}=reboot)`);
      await writeFileAtomic(pendingReboot, `${new Date().toISOString()}\n`);
      crashPoint('reboot');
      log.info('simulated reboot requested');
    },

    async runScript(kind: 'pre' | 'post', scriptPath: string, options: RunScriptOptions): Promise<ScriptResult> {
      await mkdir(root, { recursive: true });
      const result = await runProcess(scriptPath, [], {
        cwd: root,
        timeoutMs: options.timeoutMs,
        env: { SZTP_ROUTER_ROOT: root, SZTP_SCRIPT_KIND: kind, ...options.env },
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      crashPoint(`script-${kind}`);
      return result;
    },

    async snapshotConfiguration(): Promise<ConfigSnapshot> {
      await mkdir(snapshotDir, { recursive: true, mode: 0o700 });
      const current = await readOptional(runningConfig);
      const ref = `snapshot-${Date.now()}-${randomBytes(4).toString('hex')}.cfg`;
      if (current !== undefined) await writeFileAtomic(join(snapshotDir, ref), current);
      crashPoint('snapshot');
      return { adapter: 'simulated', ref, empty: current === undefined };
    },

    async commitConfiguration(mode: ConfigurationHandling, configuration: Uint8Array): Promise<void> {
      const text = Buffer.from(configuration).toString('utf8');
      if (text.split(/\r?\n/).some((l) => l.trim() === FAIL_COMMIT_MARKER)) {
        throw new SztpError(
          'SZTP_ERR_CONFIG_COMMIT',
          `simulated router rejected the configuration (${FAIL_COMMIT_MARKER})`,
        );
      }
      try {
        await mkdir(root, { recursive: true });
        const current = mode === 'merge' ? await readOptional(runningConfig) : undefined;
        const next = current === undefined ? Buffer.from(configuration) : Buffer.concat([current, configuration]);
        await writeFileAtomic(runningConfig, next, 0o644);
      } catch (err) {
        throw new SztpError('SZTP_ERR_CONFIG_COMMIT', `simulated commit failed: ${messageOf(err)}`, { cause: err });
      }
      crashPoint('commit');
    },

    async restoreConfiguration(snapshot: ConfigSnapshot): Promise<void> {
      try {
        if (snapshot.empty) {
          await rm(runningConfig, { force: true });
          return;
        }
        const saved = await readFile(join(snapshotDir, snapshot.ref));
        await writeFileAtomic(runningConfig, saved, 0o644);
      } catch (err) {
        throw new SztpError('SZTP_ERR_ROLLBACK', `simulated restore failed: ${messageOf(err)}`, { cause: err });
      }
      crashPoint('restore');
    },

    async discardSnapshot(snapshot: ConfigSnapshot): Promise<void> {
      if (snapshot.ref.includes('/') || snapshot.ref.includes('..')) return;
      await rm(join(snapshotDir, snapshot.ref), { force: true });
    },

    async sshHostKeys(): Promise<readonly SshHostKey[]> {
      const dir = join(root, 'ssh');
      const names = (await exists(dir)) ? (await readdir(dir)).filter((n) => n.endsWith('.pub')).sort() : [];
      const keys: SshHostKey[] = [];
      for (const n of names) {
        const parsed = parseSshPublicKey((await readFile(join(dir, n))).toString('utf8'));
        if ('key' in parsed) keys.push(parsed.key);
        else log.warn({ file: join(dir, n), reason: parsed.reason }, 'ssh host key skipped');
      }
      return keys;
    },

    async trustAnchorCerts(): Promise<readonly Uint8Array[]> {
      const dir = join(root, 'trust-anchors');
      const names = (await exists(dir)) ? (await readdir(dir)).filter((n) => n.endsWith('.cms')).sort() : [];
      return Promise.all(names.map((n) => readFile(join(dir, n))));
    },

    async factoryReset(): Promise<void> {
      for (const p of [runningConfig, installedImage, runningImage, pendingReboot]) await rm(p, { force: true });
      await rm(join(root, 'images'), { recursive: true, force: true });
      await rm(snapshotDir, { recursive: true, force: true });
    },
  };
  return adapter;
}
