/**
 * RouterAdapter: the public extension point between the onboarding applier and a network
 * operating system (install image, reboot, scripts, atomic configuration commit with snapshot and
 * restore, SSH host keys and trust anchors for `bootstrap-complete`). Built-in adapters live in
 * src/adapters/registry.ts; external ones are loaded from a path and must export
 * `createAdapter(ctx)` returning an object whose `apiVersion` equals ROUTER_ADAPTER_API_VERSION.
 * Documented in docs/adapters.md. Part of the public SDK (package.json `exports`).
 * @module
 */
import type { Logger } from 'pino';
import type { ConfigSnapshot } from '../contracts/config-snapshot.ts';
import type { SshHostKey } from '../progress/reporter.ts';
import type { ConfigurationHandling, HashAlgorithm, RunningIdentity } from '../types.ts';

export type { ConfigSnapshot, RunningIdentity, ConfigurationHandling, HashAlgorithm, SshHostKey };

/** @deprecated The former name of {@link RunningIdentity}, kept for adapters written against apiVersion 1. */
export type DeviceIdentity = RunningIdentity;

/** Bumped on any incompatible change of this interface. */
export const ROUTER_ADAPTER_API_VERSION = 1;

/**
 * What an adapter can do. The applier checks what a plan needs against the capabilities of a
 * built-in adapter (src/adapters/registry.ts) before the first step runs.
 */
export const ADAPTER_CAPABILITIES = [
  'commit-merge',
  'commit-replace',
  'install-image',
  'reboot',
  'run-script',
] as const;
export type AdapterCapability = (typeof ADAPTER_CAPABILITIES)[number];

/** Outcome of a script run. The applier maps it to success / warning / error. */
export interface ScriptResult {
  /** Exit status, or null when killed by a signal or timeout. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** Captured output, truncated to a bounded size. */
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunScriptOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Extra environment for the script (never secrets). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface BootImageInstall {
  /** Path of the verified image file on local disk. */
  readonly path: string;
  readonly osName?: string;
  readonly osVersion?: string;
  /** Lowercase hex SHA-256 of the image. */
  readonly sha256: string;
}

/** What every adapter gets at construction. */
export interface AdapterContext {
  /** The `[Router]` section and the adapter's own section (e.g. `[Command Adapter]`), keys as written. */
  readonly settings: Readonly<Record<string, string>>;
  /** Directory the adapter may use for snapshots and scratch files (inside the agent's state_dir). */
  readonly workDir: string;
  /** Directory relative paths in settings resolve against (the ztp.ini directory). */
  readonly baseDir: string;
  readonly log: Logger;
}

export interface RouterAdapter {
  readonly name: string;
  readonly apiVersion: number;
  /** Running identity: os-name/os-version decide whether the boot image step is needed. */
  identity(): Promise<RunningIdentity>;
  /**
   * Optional. Lowercase hex digest of the running boot image in `algorithm`, or undefined when the
   * adapter cannot tell. Used only for boot images without os-name/os-version (SZTPD sends only
   * URIs and a hash): equal → nothing to install, different → install (docs/onboarding.md).
   */
  runningImageDigest?(algorithm: HashAlgorithm): Promise<string | undefined>;
  /** Install a verified image so that it runs after the next reboot. Throws SZTP_ERR_BOOT_IMAGE_INSTALL. */
  installBootImage(image: BootImageInstall): Promise<void>;
  /**
   * Reboot into the installed image. Real adapters do not return (the process is killed); the
   * simulated adapter records the reboot and returns, and the agent exits with code 10.
   */
  reboot(): Promise<void>;
  /** Run a pre/post-configuration script file (mode 0700) with a timeout, capturing its output. */
  runScript(kind: 'pre' | 'post', scriptPath: string, options: RunScriptOptions): Promise<ScriptResult>;
  /** Save the running configuration for a later restore. */
  snapshotConfiguration(): Promise<ConfigSnapshot>;
  /** Commit configuration bytes atomically (all or nothing). Throws SZTP_ERR_CONFIG_COMMIT. */
  commitConfiguration(mode: ConfigurationHandling, configuration: Uint8Array): Promise<void>;
  /** Put the configuration back exactly as snapshotted. Throws SZTP_ERR_ROLLBACK. */
  restoreConfiguration(snapshot: ConfigSnapshot): Promise<void>;
  /** Drop a snapshot that is no longer needed (after bootstrap-complete). */
  discardSnapshot(snapshot: ConfigSnapshot): Promise<void>;
  /** SSH host keys to send with bootstrap-complete (may be empty). */
  sshHostKeys(): Promise<readonly SshHostKey[]>;
  /** Trust-anchor certificates (DER degenerate SignedData) to send with bootstrap-complete (may be empty). */
  trustAnchorCerts(): Promise<readonly Uint8Array[]>;
  /** Return the router to factory defaults (`sztp-agent reset`). */
  factoryReset(): Promise<void>;
}

/** What an external adapter module exports. */
export interface AdapterModule {
  createAdapter(ctx: AdapterContext): RouterAdapter | Promise<RouterAdapter>;
}
