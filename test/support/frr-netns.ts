/**
 * A real FRRouting instance for system tests: zebra, staticd and bgpd (Debian package `frr`, plus
 * `frr-pythontools` for frr-reload.py) started as daemons inside a network namespace created here,
 * with a private config/pid/socket directory (`-f`, `-i`, `-z`, `--vty_socket`, vty TCP off with
 * `-P 0`), no systemd. The namespace has a veth pair `v0`/`v1` with 198.51.100.1/24 on v0, so a static
 * route via 198.51.100.2 resolves and lands in the namespace's kernel table. `stop()` kills the
 * daemons by their recorded PIDs, deletes the namespace and the directory. Root only.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './temp-dir.ts';

export const FRR_DAEMONS = ['zebra', 'staticd', 'bgpd'] as const;
const SBIN = '/usr/lib/frr';
export const FRR_RELOAD = '/usr/lib/frr/frr-reload.py';

export interface FrrLab {
  readonly ns: string;
  readonly dir: string;
  /** `vtysh` argv prefix that reaches this instance. */
  readonly vtysh: readonly string[];
  /** `[Command Adapter]` settings of the frr preset for this instance. */
  readonly settings: Readonly<Record<string, string>>;
  show(): string;
  kernelRoutes(): string;
  pids(): number[];
  stop(): void;
}

/** Why FRR system tests cannot run here, or undefined when they can. */
export function frrUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const f of [`${SBIN}/zebra`, `${SBIN}/staticd`, `${SBIN}/bgpd`, '/usr/bin/vtysh'])
    if (!existsSync(f)) return `${f} missing: apt-get install frr`;
  if (!existsSync(FRR_RELOAD)) return `${FRR_RELOAD} missing: apt-get install frr-pythontools`;
  return undefined;
}

const run = (cmd: string, args: readonly string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie left for a non-reaping PID 1 counts as gone.
  return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let counter = 0;

/** Starts FRR in a fresh namespace; on any failure everything started so far is stopped again. */
export function startFrr(): FrrLab {
  counter += 1;
  const ns = `sztp-frr-${process.pid}-${counter}`;
  const dir = makeTempDir('frr');
  const vtysh = ['vtysh', '--vty_socket', dir, '--config_dir', dir];
  const pidFile = (d: string): string => join(dir, `${d}.pid`);
  const pids = (): number[] =>
    FRR_DAEMONS.map((d) => pidFile(d))
      .filter((f) => existsSync(f))
      .map((f) => Number(readFileSync(f, 'utf8').trim()));
  let nsCreated = false;
  const stop = (): void => {
    const started = pids();
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    for (let i = 0; i < 50 && started.some(alive); i++) sleep(100);
    for (const pid of started.filter(alive)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (nsCreated) {
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    writeFileSync(join(dir, 'vtysh.conf'), 'service integrated-vtysh-config\n');
    for (const d of FRR_DAEMONS) writeFileSync(join(dir, `${d}.conf`), '');
    const frr = run('id', ['-u', 'frr']).trim();
    const frrGid = run('id', ['-g', 'frr']).trim();
    for (const f of ['', 'vtysh.conf', ...FRR_DAEMONS.map((d) => `${d}.conf`)])
      chownSync(join(dir, f), Number(frr), Number(frrGid));
    run('ip', ['netns', 'add', ns]);
    nsCreated = true;
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    run('ip', ['-n', ns, 'addr', 'add', '198.51.100.1/24', 'dev', 'v0']);
    run('ip', ['-n', ns, 'link', 'set', 'v0', 'up']);
    run('ip', ['-n', ns, 'link', 'set', 'v1', 'up']);
    for (const d of FRR_DAEMONS) {
      run('ip', [
        'netns',
        'exec',
        ns,
        `${SBIN}/${d}`,
        '-d',
        '-f',
        join(dir, `${d}.conf`),
        '-i',
        pidFile(d),
        '-z',
        join(dir, 'zserv.api'),
        '--vty_socket',
        dir,
        '-P',
        '0',
        '--log',
        `file:${join(dir, `${d}.log`)}`,
      ]);
    }
    // Ready when every daemon answers through vtysh.
    for (let i = 0; ; i++) {
      try {
        const out = run(vtysh[0]!, [...vtysh.slice(1), '-c', 'show daemons']);
        if (FRR_DAEMONS.every((d) => out.includes(d))) break;
      } catch (e) {
        if (i > 50) throw e;
      }
      sleep(100);
    }
  } catch (e) {
    stop();
    throw e;
  }
  const settings = {
    vtysh: vtysh.join(' '),
    frr_reload: `${FRR_RELOAD} --stdout --bindir /usr/bin --confdir ${dir} --vty_socket ${dir} --rundir ${dir}`,
  };
  return {
    ns,
    dir,
    vtysh,
    settings,
    pids,
    stop,
    show: () => run(vtysh[0]!, [...vtysh.slice(1), '-c', 'show running-config no-header']),
    kernelRoutes: () => run('ip', ['-n', ns, 'route', 'show']),
  };
}
