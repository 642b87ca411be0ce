/**
 * Harness for the USB integration tests: a temporary device (stick directory made by the openssl
 * test PKI, simulated router, state dir, ztp.ini with USB only) and the real CLI run as a child
 * process (`node --import tsx src/cli.ts`). Cleans up with `dispose()`.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ztpIni, type TestPki } from './pki.ts';
import { makeTempDir } from './temp-dir.ts';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = ['--import', 'tsx', join(REPO, 'src', 'cli.ts')];

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface StatusJson {
  phase: string;
  lastError: { code: string; message: string } | null;
  events: { progressType: string; time: string; message: string }[];
  journal: { completedSteps: string[] } | null;
}

export interface Device {
  readonly dir: string;
  readonly stick: string;
  readonly router: string;
  readonly ini: string;
  readonly log: string;
  run(args: readonly string[], env?: Record<string, string>): Promise<CliResult>;
  /** Starts `run --once` without waiting (crash tests). */
  start(env?: Record<string, string>): { child: ChildProcess; done: Promise<CliResult> };
  status(): Promise<StatusJson>;
  runningConfig(): string | undefined;
  scriptLog(): string[];
  dispose(): void;
}

export function runNode(
  args: readonly string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [...CLI, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliResult>((res) => {
    child.on('close', (code, signal) => {
      res({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

export function makeDevice(
  pki: TestPki,
  router: Record<string, string> = {},
  extra: Record<string, Record<string, string>> = {},
): Device {
  const dir = makeTempDir('usbit');
  const stick = join(dir, 'stick');
  const routerRoot = join(dir, 'router');
  mkdirSync(stick);
  const ini = join(dir, 'ztp.ini');
  writeFileSync(
    ini,
    ztpIni(pki, join(dir, 'state'), {
      'Fetcher Priority': { USB: '0' },
      USB: { mount_points: stick },
      Router: {
        adapter: 'simulated',
        root: routerRoot,
        os_name: 'SimOS',
        os_version: '1.0',
        hw_model: 'sim',
        ...router,
      },
      Onboarding: { script_timeout_seconds: '20' },
      ...extra,
    }),
  );
  const log = join(dir, 'scripts.log');
  const device: Device = {
    dir,
    stick,
    router: routerRoot,
    ini,
    log,
    run: (args, env = {}) => runNode([...args, '--config', ini], env).done,
    start: (env = {}) => runNode(['run', '--once', '--config', ini], env),
    status: async () => JSON.parse((await device.run(['status', '--json'])).stdout) as StatusJson,
    runningConfig: () =>
      existsSync(join(routerRoot, 'running-config'))
        ? readFileSync(join(routerRoot, 'running-config'), 'utf8')
        : undefined,
    scriptLog: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .filter((l) => l !== '')
        : [],
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return device;
}

/**
 * A script that appends `<tag> <n> <running-config, lines joined by |, or "absent">` to `log`
 * (n = line number in the log, i.e. global order), prints to stdout, then runs `extra` and exits.
 */
export function logScript(log: string, tag: string, extra = '', exit = 0): string {
  return `#!/bin/sh
cfg=absent; [ -f "$SZTP_ROUTER_ROOT/running-config" ] && cfg="$(tr '\\n' '|' < "$SZTP_ROUTER_ROOT/running-config")"
n=$(( $(cat "${log}" 2>/dev/null | wc -l) + 1 ))
echo "${tag} $n $cfg" >> "${log}"
echo "${tag} output"
${extra}
exit ${exit}
`;
}
