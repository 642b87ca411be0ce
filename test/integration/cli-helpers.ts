/**
 * Helpers for the CLI integration tests: run `sztp-agent` as a real process (from src via tsx,
 * or the built dist/cli.js), temp dirs with a ztp.ini whose fetchers fail fast (USB mount point
 * that does not exist, DHCP interfaces that do not exist), and JSON log parsing.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../support/temp-dir.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const SRC_CLI = ['--import', 'tsx', join(ROOT, 'src', 'cli.ts')];
export const DIST_CLI = [join(ROOT, 'dist', 'cli.js')];

export interface Result {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function start(args: readonly string[], entry: readonly string[] = SRC_CLI): ChildProcess {
  return spawn(process.execPath, [...entry, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function finish(child: ChildProcess): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function cli(args: readonly string[], entry: readonly string[] = SRC_CLI): Promise<Result> {
  return finish(start(args, entry));
}

/** JSON log lines of stderr (non-JSON lines such as `error CODE: ...` are skipped). */
export function logLines(stderr: string): Record<string, unknown>[] {
  return stderr.split('\n').flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

export interface Sandbox {
  readonly dir: string;
  readonly ini: string;
  readonly stateDir: string;
  readonly routerRoot: string;
  write(text: string): string;
  cleanup(): void;
}

/** A temp dir with a ztp.ini whose every fetcher fails fast. `extra` is appended. */
export function sandbox(startup = 'start: True\nretry_forever: False', extra = ''): Sandbox {
  const dir = makeTempDir('cli');
  const stateDir = join(dir, 'state');
  const routerRoot = join(dir, 'router');
  const ini = join(dir, 'ztp.ini');
  const text = `[Startup]\n${startup}\n\n[Fetcher Priority]\nUSB: 0\nMgmt4: 1\nMgmt6: 2\nDPort4: 3\nDPort6: 4\n\n[Device]\nserial_number: SN-CLI-1\n\n[USB]\nmount_points: ${join(dir, 'no-such-usb')}\n\n[Interfaces]\nMgmt: sztp-nonexistent0\nDPort: sztp-nonexistent1\n\n[DHCP]\ntimeout_seconds: 1\n\n[Router]\nadapter: simulated\nroot: router\nos_name: SimOS\nos_version: 1.0\nhw_model: sim-1\n\n[Agent]\nstate_dir: state\nlog_level: info\nbackoff_initial_seconds: 0.2\nbackoff_max_seconds: 0.4\n${extra}`;
  writeFileSync(ini, text);
  return {
    dir,
    ini,
    stateDir,
    routerRoot,
    write: (t) => {
      const p = join(dir, `x-${Math.random().toString(16).slice(2)}.ini`);
      writeFileSync(p, t);
      return p;
    },
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
