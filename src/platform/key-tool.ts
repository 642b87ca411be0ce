/**
 * Runs the command-line tools that use a key held in hardware (`openssl pkeyutl` with the PKCS#11
 * engine, tpm2-tools) for src/platform/device-key-pkcs11.ts and device-key-tpm2.ts: one argv,
 * never a shell, through ./exec.ts (own process group, timeout, recorded so the stop backstop can
 * kill it), with a minimal environment and binary inputs/outputs in a private (0700) temporary
 * directory that is removed afterwards. A failure becomes a coded SztpError: the tool's stderr is
 * classified by the caller's patterns, a timeout is SZTP_ERR_DEVICE_KEY_TIMEOUT, a missing
 * binary SZTP_ERR_DEVICE_KEY_MODULE. No PIN ever appears in argv or the environment: the tools
 * read it from the PIN file.
 * @module
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SztpError, type SztpErrorCode } from '../errors.ts';
import { execArgv } from './exec.ts';

/**
 * Variables a PKCS#11 module or the TSS may need (their own configuration), passed through to the
 * tools; the D-Bus addresses for a TSS that reaches the TPM through tpm2-abrmd (`tabrmd:` TCTI).
 */
const PASSTHROUGH =
  /^(?:SOFTHSM2_CONF|OPENSSL_MODULES|TPM2_PKCS11_[A-Z_]+|TSS2_[A-Z_]+|P11_KIT_[A-Z_]+|DBUS_SESSION_BUS_ADDRESS|DBUS_SYSTEM_BUS_ADDRESS)$/;

/** The tools' environment: PATH, the module's own variables, and `extra`. */
export function keyToolEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  for (const [name, value] of Object.entries(process.env)) {
    if (PASSTHROUGH.test(name) && value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

export interface KeyToolRun {
  /** argv, where `{in:NAME}` / `{out:NAME}` are replaced by files of the private directory. */
  readonly argv: readonly string[];
  readonly inputs?: Readonly<Record<string, Uint8Array>>;
  /** The output file that is the result. */
  readonly output?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** What is being done, for messages ("sign with pkcs11:…"). */
  readonly what: string;
  /** stderr patterns, first match wins; otherwise `fallback`. */
  readonly classify: readonly (readonly [RegExp, SztpErrorCode])[];
  readonly fallback: SztpErrorCode;
}

/** The last meaningful stderr lines, for messages (never holds a PIN: no tool is given one). */
const tail = (stderr: string): string =>
  stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^Engine "pkcs11" set\.$/.test(l))
    .slice(-3)
    .join(' | ')
    .slice(0, 400);

/** Runs one tool; resolves with the bytes of `output` (empty when none), rejects with a coded error. */
export async function runKeyTool(run: KeyToolRun): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), 'sztp-key-'));
  try {
    for (const [name, bytes] of Object.entries(run.inputs ?? {}))
      await writeFile(join(dir, name), bytes, { mode: 0o600 });
    const argv = run.argv.map((a) => a.replace(/\{(?:in|out):([a-z0-9.]+)\}/g, (_m, name: string) => join(dir, name)));
    const r = await execArgv(argv, {
      env: run.env,
      timeoutMs: run.timeoutMs,
      killGraceMs: 0,
      maxOutputBytes: 16 * 1024,
    });
    const evidence = { tool: argv[0] ?? '', exitCode: r.exitCode, durationMs: Math.round(r.durationMs) };
    if (r.spawnError !== undefined) {
      throw new SztpError('SZTP_ERR_DEVICE_KEY_MODULE', `${run.what}: cannot run ${argv[0] ?? ''}: ${r.spawnError}`, {
        evidence,
      });
    }
    if (r.timedOut) {
      throw new SztpError(
        'SZTP_ERR_DEVICE_KEY_TIMEOUT',
        `${run.what}: no answer within ${run.timeoutMs} ms (token or TPM hung?)`,
        { evidence },
      );
    }
    if (r.exitCode !== 0) {
      const code = run.classify.find(([re]) => re.test(r.stderr))?.[1] ?? run.fallback;
      throw new SztpError(code, `${run.what} failed: ${tail(r.stderr) || `exit ${String(r.exitCode ?? r.signal)}`}`, {
        evidence,
      });
    }
    return run.output === undefined ? new Uint8Array() : new Uint8Array(await readFile(join(dir, run.output)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
