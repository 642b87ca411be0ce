/**
 * The built-in `command` router adapter (docs/command-adapter.md): every RouterAdapter operation
 * is an argv template from `[Command Adapter]` (or a preset: frr, iosxr, sonic). Received bytes
 * (configuration, scripts, images) only ever reach commands as files in the adapter work
 * directory whose paths are substituted as single argv elements; nothing is passed through a
 * shell built from received data. Commits are made atomic by snapshot + restore around them
 * (RFC 8572 §5.6 step 5: "atomic"), and restore failures are reported as SZTP_ERR_ROLLBACK.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SztpErrorCode } from '../errors.ts';
import { SztpError, toSztpError } from '../errors.ts';
import type { ConfigurationHandling } from '../types.ts';
import { parsePemSignedData, parseSshPublicKeys } from './command-output.ts';
import { RECEIVED_ENV, compileCommandSettings } from './command-settings.ts';
import type { CommandPreset, CommandSettings, Operation } from './command-settings.ts';
import { COMMAND_BASE } from './presets/base.ts';
import { placeholdersOf, renderTemplate } from './command-template.ts';
import { childEnv } from '../lib/child-env.ts';
import { execArgv } from '../platform/exec.ts';
import type { ExecResult } from '../platform/exec.ts';
import { ROUTER_ADAPTER_API_VERSION } from './router-adapter.ts';
import type {
  AdapterContext,
  BootImageInstall,
  ConfigSnapshot,
  RunningIdentity,
  RouterAdapter,
  RunScriptOptions,
  ScriptResult,
  SshHostKey,
} from './router-adapter.ts';

const SNAPSHOT_REF = /^snapshot-[A-Za-z0-9._-]+$/;
const STDERR_TAIL = 2000;

export interface CommandAdapterDeps {
  /** Source of the allowlisted environment (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const FAILURE_CODE: Partial<Record<Operation, SztpErrorCode>> = {
  commit_check: 'SZTP_ERR_CONFIG_COMMIT',
  commit_merge: 'SZTP_ERR_CONFIG_COMMIT',
  commit_replace: 'SZTP_ERR_CONFIG_COMMIT',
  restore: 'SZTP_ERR_ROLLBACK',
  install_image: 'SZTP_ERR_BOOT_IMAGE_INSTALL',
};

const tail = (s: string): string => (s.length > STDERR_TAIL ? s.slice(-STDERR_TAIL) : s);
const unique = (): string => `${new Date().toISOString().replace(/[:.]/g, '')}-${randomBytes(4).toString('hex')}`;

function describe(r: ExecResult): string {
  if (r.spawnError !== undefined) return r.spawnError;
  if (r.timedOut) return 'timed out';
  if (r.aborted) return 'aborted';
  if (r.signal !== null) return `killed by ${r.signal}`;
  return `exit status ${String(r.exitCode)}`;
}

class CommandAdapter implements RouterAdapter {
  readonly apiVersion = ROUTER_ADAPTER_API_VERSION;
  private readonly env: Record<string, string>;

  constructor(
    readonly name: string,
    private readonly ctx: AdapterContext,
    private readonly s: CommandSettings,
    source: Readonly<Record<string, string | undefined>>,
  ) {
    this.env = childEnv(source);
    if (s.path !== undefined) this.env.PATH = s.path;
  }

  /** Runs an operation; `values` fill its placeholders. Returns undefined when the operation is not configured. */
  private async exec(
    op: Operation,
    values: Record<string, string>,
    extra: {
      stdoutFile?: string;
      timeoutMs?: number;
      env?: Readonly<Record<string, string>>;
      signal?: AbortSignal;
      maxOutputBytes?: number;
      killGroupOnExit?: boolean;
    } = {},
  ): Promise<ExecResult | undefined> {
    const compiled = this.s.operations[op];
    if (compiled === undefined) return undefined;
    const argv = renderTemplate(compiled.template, { work_dir: this.ctx.workDir, ...values });
    const timeoutMs = extra.timeoutMs ?? compiled.timeoutMs;
    await mkdir(this.ctx.workDir, { recursive: true, mode: 0o700 });
    this.ctx.log.debug({ operation: op, argv, timeoutMs }, 'adapter command');
    const result = await execArgv(argv, {
      timeoutMs,
      env: { ...this.env, ...extra.env },
      cwd: this.ctx.workDir,
      ...(extra.stdoutFile === undefined ? {} : { stdoutFile: extra.stdoutFile }),
      ...(extra.signal === undefined ? {} : { signal: extra.signal }),
      ...(extra.maxOutputBytes === undefined ? {} : { maxOutputBytes: extra.maxOutputBytes }),
      ...(extra.killGroupOnExit === undefined ? {} : { killGroupOnExit: extra.killGroupOnExit }),
    });
    this.ctx.log.debug(
      { operation: op, argv, exitCode: result.exitCode, durationMs: result.durationMs },
      'adapter command done',
    );
    return result;
  }

  /** Runs an operation that must exist and succeed. */
  private async must(
    op: Operation,
    values: Record<string, string> = {},
    extra: { stdoutFile?: string; maxOutputBytes?: number; env?: Readonly<Record<string, string>> } = {},
  ): Promise<ExecResult> {
    const r = await this.exec(op, values, extra);
    if (r === undefined) {
      throw new SztpError('SZTP_ERR_ADAPTER_UNSUPPORTED', `adapter '${this.name}': no '${op}' command configured`, {
        evidence: { operation: op },
      });
    }
    if (r.spawnError !== undefined || r.timedOut || r.aborted || r.exitCode !== 0) {
      throw new SztpError(
        FAILURE_CODE[op] ?? 'SZTP_ERR_ADAPTER_COMMAND',
        `adapter '${this.name}' ${op} failed: ${describe(r)}`,
        {
          stage: 'adapter',
          evidence: {
            operation: op,
            argv: r.argv,
            exitCode: r.exitCode,
            signal: r.signal,
            timedOut: r.timedOut,
            stderr: tail(r.stderr),
            stdout: tail(r.stdout),
          },
        },
      );
    }
    return r;
  }

  async identity(): Promise<RunningIdentity> {
    const value = async (
      field: 'serialNumber' | 'hwModel' | 'osName' | 'osVersion',
      op: Operation,
    ): Promise<string | undefined> => {
      const literal = this.s.identity[field];
      if (literal !== undefined) return literal;
      if (this.s.operations[op] === undefined) return undefined;
      const line = (await this.must(op)).stdout
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l !== '');
      return line;
    };
    let serialNumber: string | undefined;
    try {
      serialNumber = await value('serialNumber', 'identity_serial');
    } catch (e) {
      // The serial number has other sources (ztp.ini, IDevID); a failing command is not fatal here.
      this.ctx.log.warn({ err: toSztpError(e, 'SZTP_ERR_ADAPTER_COMMAND') }, 'serial-number command failed');
    }
    const hwModel = await value('hwModel', 'identity_hw_model');
    const osName = await value('osName', 'identity_os_name');
    const osVersion = await value('osVersion', 'identity_os_version');
    if (hwModel === undefined || osName === undefined || osVersion === undefined) {
      throw new SztpError(
        'SZTP_ERR_ADAPTER_COMMAND',
        `adapter '${this.name}': hw-model, os-name and os-version must be configured and non-empty`,
        {
          evidence: { hwModel, osName, osVersion },
        },
      );
    }
    return { ...(serialNumber === undefined ? {} : { serialNumber }), hwModel, osName, osVersion };
  }

  async installBootImage(image: BootImageInstall): Promise<void> {
    // Received values reach interpreters only through the environment (docs/command-adapter.md).
    const env = {
      [RECEIVED_ENV.os_name ?? 'SZTP_OS_NAME']: image.osName ?? '',
      [RECEIVED_ENV.os_version ?? 'SZTP_OS_VERSION']: image.osVersion ?? '',
      SZTP_IMAGE_SHA256: image.sha256,
    };
    await this.must(
      'install_image',
      { image: image.path, os_name: image.osName ?? '', os_version: image.osVersion ?? '', sha256: image.sha256 },
      { env },
    );
  }

  async reboot(): Promise<void> {
    await this.must('reboot');
  }

  async runScript(kind: 'pre' | 'post', scriptPath: string, options: RunScriptOptions): Promise<ScriptResult> {
    // killGroupOnExit: what the script leaves behind in its group is not kept active (RFC 8572 §5.6)
    // and cannot hold the output pipes open until the timeout (as the simulated adapter does).
    const r = await this.exec(
      'run_script',
      { script: scriptPath, kind },
      {
        killGroupOnExit: true,
        timeoutMs: options.timeoutMs,
        ...(options.env === undefined ? {} : { env: options.env }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
    if (r === undefined)
      throw new SztpError('SZTP_ERR_ADAPTER_UNSUPPORTED', `adapter '${this.name}': run_script is switched off`);
    if (r.spawnError !== undefined) {
      // Mirrors the shell: 127 = cannot be found, 126 = cannot be executed.
      const exitCode = r.spawnErrorCode === 'ENOENT' ? 127 : 126;
      return { exitCode, signal: null, timedOut: false, stdout: r.stdout, stderr: `${r.stderr}${r.spawnError}\n` };
    }
    return { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stdout: r.stdout, stderr: r.stderr };
  }

  async snapshotConfiguration(): Promise<ConfigSnapshot> {
    const ref = `snapshot-${unique()}${this.s.configSuffix}`;
    const file = join(this.ctx.workDir, ref);
    const template = this.s.operations.snapshot?.template;
    const writesItself = template !== undefined && placeholdersOf(template.tokens).has('snapshot');
    try {
      await this.must('snapshot', { snapshot: file }, writesItself ? {} : { stdoutFile: file });
      const size = (await stat(file)).size;
      return { adapter: this.name, ref, empty: size === 0 };
    } catch (e) {
      await rm(file, { force: true });
      if (e instanceof SztpError) throw e;
      throw new SztpError('SZTP_ERR_ADAPTER_COMMAND', `adapter '${this.name}': snapshot produced no file`, {
        cause: e,
        evidence: { file },
      });
    }
  }

  private snapshotPath(snapshot: ConfigSnapshot): string {
    if (snapshot.adapter !== this.name || !SNAPSHOT_REF.test(snapshot.ref) || basename(snapshot.ref) !== snapshot.ref) {
      throw new SztpError('SZTP_ERR_ROLLBACK', `snapshot ${snapshot.ref} does not belong to adapter '${this.name}'`, {
        evidence: { ...snapshot },
      });
    }
    return join(this.ctx.workDir, snapshot.ref);
  }

  async restoreConfiguration(snapshot: ConfigSnapshot): Promise<void> {
    const file = this.snapshotPath(snapshot);
    try {
      await stat(file);
    } catch (e) {
      throw new SztpError('SZTP_ERR_ROLLBACK', `snapshot file ${file} is missing`, { cause: e, evidence: { file } });
    }
    await this.must('restore', { snapshot: file });
    await this.save('SZTP_ERR_ROLLBACK');
  }

  /** Runs the optional `save` command (persist the running configuration). */
  private async save(code: SztpErrorCode): Promise<void> {
    const r = await this.exec('save', {});
    if (r !== undefined && (r.spawnError !== undefined || r.timedOut || r.exitCode !== 0)) {
      throw new SztpError(code, `adapter '${this.name}' save failed: ${describe(r)}`, {
        stage: 'adapter',
        evidence: { operation: 'save', argv: r.argv, exitCode: r.exitCode, stderr: tail(r.stderr) },
      });
    }
  }

  async discardSnapshot(snapshot: ConfigSnapshot): Promise<void> {
    await rm(this.snapshotPath(snapshot), { force: true });
  }

  async commitConfiguration(mode: ConfigurationHandling, configuration: Uint8Array): Promise<void> {
    const op: Operation = mode === 'merge' ? 'commit_merge' : 'commit_replace';
    if (this.s.operations[op] === undefined) {
      throw new SztpError(
        'SZTP_ERR_CONFIG_COMMIT',
        `adapter '${this.name}' has no '${op}' command: configuration-handling '${mode}' is not supported`,
        { evidence: { operation: op } },
      );
    }
    const file = join(this.ctx.workDir, `config-${unique()}${this.s.configSuffix}`);
    await mkdir(this.ctx.workDir, { recursive: true, mode: 0o700 });
    await writeFile(file, configuration, { mode: 0o600 });
    let guard: ConfigSnapshot | undefined;
    try {
      if (this.s.operations.commit_check !== undefined) await this.must('commit_check', { file, mode });
      if (this.s.atomicCommit) guard = await this.snapshotConfiguration();
      try {
        await this.must(op, { file });
        await this.save('SZTP_ERR_CONFIG_COMMIT');
      } catch (e) {
        throw await this.undo(toSztpError(e, 'SZTP_ERR_CONFIG_COMMIT'), guard);
      }
    } finally {
      await rm(file, { force: true });
      if (guard !== undefined) await this.discardSnapshot(guard).catch(() => undefined);
    }
  }

  /** Puts the pre-commit snapshot back after a failed commit; the error says whether that worked. */
  private async undo(error: SztpError, guard: ConfigSnapshot | undefined): Promise<SztpError> {
    if (guard === undefined) return error;
    try {
      await this.restoreConfiguration(guard);
      return new SztpError(error.code, `${error.message} (previous configuration restored)`, {
        stage: error.stage,
        cause: error,
        evidence: { ...error.evidence, restored: true },
      });
    } catch (e) {
      const r = toSztpError(e, 'SZTP_ERR_ROLLBACK');
      this.ctx.log.error({ err: r }, 'restoring the configuration after a failed commit failed');
      return new SztpError(
        'SZTP_ERR_ROLLBACK',
        `${error.message}; restoring the previous configuration failed too: ${r.message}`,
        { cause: error, evidence: { ...error.evidence, restored: false, restoreError: r.toJSON() } },
      );
    }
  }

  async sshHostKeys(): Promise<readonly SshHostKey[]> {
    if (this.s.operations.ssh_host_keys === undefined) return [];
    const parsed = parseSshPublicKeys((await this.must('ssh_host_keys')).stdout);
    if (parsed.problems.length > 0) this.ctx.log.warn({ problems: parsed.problems }, 'ignored malformed SSH host keys');
    return parsed.items;
  }

  async trustAnchorCerts(): Promise<readonly Uint8Array[]> {
    if (this.s.operations.trust_anchors === undefined) return [];
    const parsed = parsePemSignedData((await this.must('trust_anchors', {}, { maxOutputBytes: 1024 * 1024 })).stdout);
    if (parsed.problems.length > 0)
      this.ctx.log.warn({ problems: parsed.problems }, 'ignored malformed trust-anchor output');
    return parsed.items;
  }

  async factoryReset(): Promise<void> {
    await this.must('factory_reset');
  }
}

/** Builds a command adapter from a preset and the `[Router]` + `[Command Adapter]` settings. */
export function createCommandAdapter(
  ctx: AdapterContext,
  preset: CommandPreset = COMMAND_BASE,
  deps: CommandAdapterDeps = {},
): RouterAdapter {
  const settings = compileCommandSettings(preset, ctx.settings);
  return new CommandAdapter(preset.name, ctx, settings, deps.env ?? process.env);
}
