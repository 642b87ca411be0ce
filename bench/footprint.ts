/**
 * Whole-process footprint of the CLI against `node -e 0` in the same run: CPU (user + system) and
 * peak RSS of `config`, `status`, a complete USB onboarding without a boot image (the demo stick
 * of fixtures/demo, simulated router already running the stick's image), and the RSS of the idle
 * daemon after 8 s of retries (USB only, no stick). Every process gets the same preload
 * (bench/support/rusage.mjs) that writes process.resourceUsage() at exit, so the baseline pays it too.
 * Medians of BENCH_RUNS (default 7) rounds, each round running every measurement once (interleaved). Targets (issue 15): onboarding CPU ≤ 3× node -e 0 and
 * RSS ≤ 64 MiB; status/config CPU ≤ 1.5×; idle daemon RSS ≤ 60 MiB.
 * `npm run bench -- footprint`; `BENCH_CLI=dist/cli.js` measures the unbundled tsc output instead
 * of the bundle (dist/sztp-agent.mjs, built by `npm run build`). `BENCH_SEA=dist/sea/sztp-agent`
 * (from `npm run package:sea`) adds the single executable, measured with GNU time (10 ms steps)
 * against `node -e 0` measured the same way, since a SEA takes no --import preload.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoIni } from '../scripts/demo-ini.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CLI = resolve(repo, process.env.BENCH_CLI ?? 'dist/sztp-agent.mjs');
const PRELOAD = join(repo, 'bench', 'support', 'rusage.mjs');
const demo = join(repo, 'fixtures', 'demo');

interface Usage {
  cpuMs: number;
  rssMiB: number;
  code: number | null;
}

/** Runs `node <args>` with the rusage preload; resolves to its CPU time and peak RSS. */
/**
 * Node reads and parses every certificate of NODE_EXTRA_CA_CERTS at start, before any script runs:
 * with a system bundle that is 30–40 ms, which the baseline pays too. A router runs without it, so
 * when it is set the bench measures everything a second time without it.
 */
const EXTRA_CA = 'NODE_EXTRA_CA_CERTS';
let cleanEnv = false;

function measure(args: readonly string[], cwd: string): Promise<Usage> {
  const out = join(cwd, `rusage-${process.pid}.json`);
  rmSync(out, { force: true });
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, ['--import', PRELOAD, ...args], {
      cwd,
      env: { ...process.env, RUSAGE_OUT: out, ...(cleanEnv ? { [EXTRA_CA]: undefined } : {}) },
      stdio: 'ignore',
    });
    p.on('error', rej);
    p.on('close', (code) => {
      try {
        const u = JSON.parse(readFileSync(out, 'utf8')) as {
          userCPUTime: number;
          systemCPUTime: number;
          maxRSS: number;
        };
        res({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, rssMiB: u.maxRSS / 1024, code });
      } catch (err) {
        rej(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

/** RSS of a running process from /proc (MiB). */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

function ini(dir: string, stick: string, osVersion: string, retry: boolean): string {
  const file = join(dir, `ztp-${osVersion}-${String(retry)}.ini`);
  writeFileSync(
    file,
    demoIni({ fixtures: demo, stick, osVersion, retryForever: retry, logLevel: 'warn', backoffSeconds: 1 }),
  );
  return file;
}

interface Row {
  name: string;
  cpu: number;
  rss: number;
}

/**
 * Runs every measurement once per round, `n` rounds, interleaved (baseline, config, status, …,
 * baseline, config, …) so that load from elsewhere on the machine weighs on each alike; medians.
 */
async function rounds(n: number, named: readonly [string, () => Promise<Usage>][]): Promise<Row[]> {
  const runs = named.map((): Usage[] => []);
  for (let i = 0; i < n; i++)
    for (const [k, [, one]] of named.entries()) {
      runs[k]?.push(await one());
    }
  return named.map(([name], k) => {
    const rs = runs[k] ?? [];
    const bad = rs.find((r) => r.code !== 0);
    if (bad !== undefined) throw new Error(`${name}: exit ${String(bad.code)}`);
    return { name, cpu: median(rs.map((r) => r.cpuMs)), rss: median(rs.map((r) => r.rssMiB)) };
  });
}

/** CPU ms and peak RSS MiB of a process measured by GNU time (for the SEA, which takes no preload). */
function timed(cmd: string, args: readonly string[], cwd: string): Usage {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', cmd, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const [u = '0', sys = '0', rss = '0'] = (r.stderr.trim().split('\n').pop() ?? '').split(' ');
  return { cpuMs: (Number(u) + Number(sys)) * 1000, rssMiB: Number(rss) / 1024, code: r.status };
}

async function idleRss(dir: string, iniFile: string): Promise<number> {
  const p = spawn(process.execPath, [CLI, 'run', '--config', iniFile], { cwd: dir, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 8000));
  const rss = p.pid === undefined ? 0 : rssOf(p.pid);
  p.kill('SIGTERM');
  await new Promise((r) => p.on('close', r));
  return rss;
}

const dir = mkdtempSync(join(tmpdir(), 'sztp-bench-fp-'));
try {
  const stick = join(dir, 'usb');
  cpSync(join(demo, 'usb'), stick, { recursive: true });
  const onboardIni = ini(dir, stick, '2.0', false);
  const idleIni = ini(dir, join(dir, 'no-stick'), '1.0', true);
  const onboarding = (run: (args: readonly string[]) => Promise<Usage>) => (): Promise<Usage> => {
    rmSync(join(dir, 'state'), { recursive: true, force: true });
    rmSync(join(dir, 'router'), { recursive: true, force: true });
    return run(['run', '--once', '--config', onboardIni]);
  };
  const agent = (args: readonly string[]): Promise<Usage> => measure([CLI, ...args], dir);
  const table = (): Promise<Row[]> =>
    rounds(RUNS, [
      ['node -e 0', () => measure(['-e', '0'], dir)],
      ['config', () => agent(['config', '--config', onboardIni])],
      ['status', () => agent(['status', '--config', onboardIni])],
      ['USB onboarding', onboarding(agent)],
    ]);
  const rows = await table();
  const idle: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    rmSync(join(dir, 'state'), { recursive: true, force: true });
    idle.push(await idleRss(dir, idleIni));
  }
  const print = (title: string, rs: readonly Row[]): void => {
    const base = rs[0]!;
    console.log(title);
    console.log('what              CPU ms   ×node   peak RSS MiB');
    for (const r of rs)
      console.log(
        `${r.name.padEnd(16)} ${r.cpu.toFixed(0).padStart(7)}  ${(r.cpu / base.cpu).toFixed(2).padStart(6)}   ${r.rss.toFixed(1).padStart(6)}`,
      );
  };
  print(
    `footprint of ${CLI.startsWith(repo) ? CLI.slice(repo.length + 1) : CLI} (medians of ${RUNS} runs; node ${process.version}${process.env[EXTRA_CA] === undefined ? '' : `; ${EXTRA_CA} set`})`,
    rows,
  );
  console.log(
    `idle daemon RSS after 8 s: ${median(idle).toFixed(1)} MiB (runs: ${idle.map((x) => x.toFixed(1)).join(', ')})`,
  );
  console.log('targets: onboarding ≤ 3× and ≤ 64 MiB; config/status ≤ 1.5×; idle ≤ 60 MiB');
  if (process.env[EXTRA_CA] !== undefined) {
    cleanEnv = true;
    print(`the same without ${EXTRA_CA} (as on a router: node -e 0 no longer parses a CA bundle)`, await table());
    cleanEnv = false;
  }
  const sea = process.env.BENCH_SEA;
  if (sea !== undefined && sea !== '') {
    const exe = resolve(repo, sea);
    const seaRun = (args: readonly string[]): Promise<Usage> => Promise.resolve(timed(exe, args, dir));
    const seaRows = await rounds(RUNS, [
      ['node -e 0 (time)', () => Promise.resolve(timed(process.execPath, ['-e', '0'], dir))],
      ['SEA config', () => seaRun(['config', '--config', onboardIni])],
      ['SEA status', () => seaRun(['status', '--config', onboardIni])],
      ['SEA onboarding', onboarding(seaRun)],
    ]);
    console.log(`single executable ${sea}, GNU time:`);
    for (const r of seaRows)
      console.log(
        `${r.name.padEnd(16)} ${r.cpu.toFixed(0).padStart(7)}  ${(r.cpu / seaRows[0]!.cpu).toFixed(2).padStart(6)}   ${r.rss.toFixed(1).padStart(6)}`,
      );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
