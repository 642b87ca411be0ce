/**
 * Boot-image download end to end: a random image (1 GiB; BENCH_MIB to change) served over
 * loopback HTTPS by the test bootstrap server (its own process). The agent runs as a user would
 * run it: `sztp-agent run --once` (the bundle, dist/sztp-agent.mjs) on a USB stick whose signed
 * onboarding information names the image by https URL and SHA-256, simulated router; from start
 * to exit 10 it validates the bundle, downloads and hashes the image, installs it and reboots.
 * Baselines in the same run, same server, same file: `curl -sk -o FILE URL` (the transport) and
 * `curl -sk URL | tee FILE | sha256sum`. Prints wall-clock ratios and the agent's peak RSS
 * (targets, issue 15: ≤ 1.0× curl -o; ≤ 80 MB for 1 GiB). BENCH_RUNS runs each (default 3),
 * median shown; BENCH_NODE_FLAGS adds node flags to the agent (e.g. --cpu-prof); BENCH_CLI_BASE runs a
 * second build (e.g. main's bundle) alternately in the same run, for before/after figures.
 * BENCH_PARTS=1 takes the time apart (and adds the baseline `curl -o FILE && sync FILE`, the transport
 * made durable as the agent must make the image): the agent logs at info level and its phases are read from the
 * log's timestamps (start-up to the first log line, validation, download + SHA-256 + flush, install,
 * exit), its user/system CPU is printed, and bench/support/https-parts.mjs runs node:https (the
 * agent's transport before issue 15's last round, for reference) alone, with SHA-256, with a file
 * write stream, and with both plus a final fsync, as whole processes in the same run.
 * Every run also records what the machine spent: the server's CPU (from /proc) during each
 * `curl -o` and each agent run, and the client's own CPU, hence how many cores were busy and the
 * agent's lower bound on this machine, (agent CPU + server CPU) / cores: the loopback server
 * shares the cores, so no client can finish faster than that. BENCH_LINK_MBIT=N (root) puts the
 * server behind a link of N Mbit/s instead (a veth pair into a network namespace, shaped with tc
 * tbf), as a router's port would see it. The load average is printed: the machine is shared,
 * compare ratios of one run.
 * `npm run build && npm run bench -- download`.
 * @module
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSignedBundle, makeTestPki, onboardingJson, writeEn9, ztpIni } from '../test/support/pki.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MIB = Number(process.env.BENCH_MIB ?? 1024);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CLI = resolve(repo, process.env.BENCH_CLI ?? 'dist/sztp-agent.mjs');
/** A second agent build (e.g. main's bundle) run alternately in the same bench run, for before/after figures. */
const BASE_CLI = process.env.BENCH_CLI_BASE === undefined ? undefined : resolve(repo, process.env.BENCH_CLI_BASE);
const PRELOAD = join(repo, 'bench', 'support', 'rusage.mjs');
const PARTS = process.env.BENCH_PARTS === '1';
const LINK_MBIT = process.env.BENCH_LINK_MBIT === undefined ? undefined : Number(process.env.BENCH_LINK_MBIT);
const PART_NAMES = ['receive', 'hash', 'write', 'all'] as const;
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface AgentRun {
  ms: number;
  rss: number;
  userMs: number;
  sysMs: number;
  /** Milliseconds of each phase, from the log (BENCH_PARTS). */
  phases: Record<string, number>;
}

/** Phases of one agent run from its JSON log lines (times since spawn at `t0` wall clock). */
function phasesOf(log: string, t0: number, totalMs: number): Record<string, number> {
  const marks: [string, RegExp][] = [
    ['start-up', /^secure ZTP started/],
    ['validation', /^running .*, wanted /],
    ['download', /^boot image downloaded and verified/],
    ['install', /^installed /],
  ];
  const at: Record<string, number> = {};
  for (const line of log.split('\n')) {
    let entry: { time?: unknown; msg?: unknown };
    try {
      entry = JSON.parse(line) as { time?: unknown; msg?: unknown };
    } catch {
      continue;
    }
    const time = typeof entry.time === 'number' ? entry.time : Date.parse(String(entry.time));
    const mark = marks.find(([name, re]) => at[name] === undefined && re.test(String(entry.msg)));
    if (mark !== undefined) at[mark[0]] = time - t0;
  }
  const phases: Record<string, number> = {};
  let prev = 0;
  for (const [name] of marks) {
    const t = at[name];
    if (t === undefined) continue;
    phases[name] = t - prev;
    prev = t;
  }
  phases.exit = totalMs - prev;
  return phases;
}

function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ ms: number; code: number | null; stdout: string; startedAt: number }> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const startedAt = Date.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stdout += c.toString()));
    p.on('error', rej);
    p.on('close', (code) => {
      res({ ms: performance.now() - t0, code, stdout, startedAt });
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** CPU time (user + system, ms) a process has used so far, from /proc (clock ticks of 10 ms). */
function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /s, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** What one transfer cost the machine: wall clock, the client's CPU and the server's CPU meanwhile. */
interface Load {
  ms: number;
  clientCpuMs: number;
  serverCpuMs: number;
}

/** A shaped link to a server namespace: `ns`, the server's address, and how to remove it all. */
function makeLink(mbit: number): { ns: string; serverAddress: string; remove: () => void } {
  const ns = `sztpbench${process.pid}`;
  const host = `sztpbh${process.pid % 100000}`;
  const peer = `sztpbs${process.pid % 100000}`;
  const ip = (...args: string[]): void => {
    execFileSync('ip', args, { stdio: 'inherit' });
  };
  const remove = (): void => {
    spawnSync('ip', ['netns', 'del', ns]);
    spawnSync('ip', ['link', 'del', host]);
  };
  try {
    ip('netns', 'add', ns);
    ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
    ip('link', 'set', peer, 'netns', ns);
    ip('addr', 'add', '10.231.77.2/24', 'dev', host);
    ip('link', 'set', host, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', '10.231.77.1/24', 'dev', peer);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', peer, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    // Shape both directions: the image flows from the server's side.
    const shape = ['qdisc', 'add', 'dev'];
    const tbf = ['root', 'tbf', 'rate', `${mbit}mbit`, 'burst', '256kb', 'latency', '20ms'];
    execFileSync('ip', ['netns', 'exec', ns, 'tc', ...shape, peer, ...tbf], { stdio: 'inherit' });
    execFileSync('tc', [...shape, host, ...tbf], { stdio: 'inherit' });
  } catch (err) {
    remove();
    throw err;
  }
  return { ns, serverAddress: '10.231.77.1', remove };
}

console.log(`load average at start: ${load()}`);
if (LINK_MBIT !== undefined) console.log(`the server behind a ${LINK_MBIT} Mbit/s link (network namespace, tbf)`);
const work = mkdtempSync(join(tmpdir(), 'sztp-bench-dl-'));
let server: ChildProcess | undefined;
let cleanup: (() => void) | undefined;
try {
  const pki = makeTestPki(join(work, 'pki'));
  mkdirSync(join(work, 'images'));
  const image = join(work, 'images', 'image.bin');
  console.log(`generating a ${MIB} MiB random image…`);
  execFileSync('openssl', ['rand', '-out', image, String(MIB * 1024 * 1024)]);
  const sha = execFileSync('sha256sum', [image]).toString().split(' ')[0] ?? '';
  // The CPU that SHA-256 of the image takes at best (OpenSSL, file in the page cache): the work the
  // agent must do on top of what `curl -o` does.
  const shaCpuMs = median(
    [0, 1, 2].map(() => {
      const r = spawnSync('/usr/bin/time', ['-f', '%U %S', 'openssl', 'dgst', '-sha256', image], { encoding: 'utf8' });
      const [u = '0', sy = '0'] = (r.stderr.trim().split('\n').pop() ?? '').split(' ');
      return (Number(u) + Number(sy)) * 1000;
    }),
  );
  // BENCH_LINK_MBIT: the server sits behind a link of that rate (a veth pair into a network
  // namespace, token-bucket shaped), as a router's management port would see it; needs root.
  const link = LINK_MBIT === undefined ? undefined : makeLink(LINK_MBIT);
  cleanup = link?.remove;
  const srvNode = process.execPath;
  const srvArgs = [
    '--import',
    'tsx',
    join(repo, 'test/support/bootstrap-server-cli.ts'),
    ...(link === undefined ? [] : ['--host', link.serverAddress]),
    '--port',
    '0',
    '--cert',
    pki.server.cert,
    '--key',
    pki.server.key,
    '--images',
    join(work, 'images'),
  ];
  const srv =
    link === undefined
      ? spawn(srvNode, srvArgs, { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn('ip', ['netns', 'exec', link.ns, srvNode, ...srvArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  server = srv;
  const base = await new Promise<string>((res, rej) => {
    let out = '';
    srv.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (\S+)/.exec(out);
      if (m?.[1] !== undefined) res(m[1]);
    });
    srv.on('exit', (code) => {
      rej(new Error(`test server exited ${String(code)}`));
    });
  });
  const url = `${base}/images/image.bin`;
  const doc = onboardingJson({
    bootImage: {
      'os-name': 'SimOS',
      'os-version': '2.0',
      'download-uri': [url],
      'image-verification': [
        { 'hash-algorithm': 'ietf-sztp-conveyed-info:sha-256', 'hash-value': sha.match(/../g)?.join(':') },
      ],
    },
    configuration: 'hostname bench\n',
  });
  const stick = join(work, 'stick');
  writeEn9(stick, makeSignedBundle(pki, doc));
  const agent: AgentRun[] = [];
  const curlO: number[] = [];
  /** The machine during each `curl -o` and each agent run (server CPU from /proc). */
  const curlLoad: Load[] = [];
  const agentLoad: Load[] = [];
  const pipeline: number[] = [];
  const curlSync: number[] = [];
  const baseRuns: AgentRun[] = [];
  const parts: Record<string, { ms: number; userMs: number; sysMs: number }[]> = {};
  const runAgent = async (cli: string, i: number, tag: string, into: AgentRun[]): Promise<void> => {
    const dev = join(work, `device-${i}-${tag}`);
    const ini = join(dev, 'ztp.ini');
    mkdirSync(dev);
    writeFileSync(
      ini,
      ztpIni(pki, join(dev, 'state'), {
        'Fetcher Priority': { USB: '0' },
        USB: { mount_points: stick },
        Router: { adapter: 'simulated', root: join(dev, 'router'), os_name: 'SimOS', os_version: '1.0' },
        Onboarding: { max_image_bytes: String(2 * MIB * 1048576) },
        Agent: { state_dir: join(dev, 'state'), log_level: PARTS ? 'info' : 'warn' },
      }),
    );
    const rusage = join(dev, 'rusage.json');
    const serverBefore = cpuMsOf(server?.pid);
    const a = await run(
      process.execPath,
      [
        ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== ''),
        '--import',
        PRELOAD,
        cli,
        'run',
        '--once',
        '--config',
        ini,
      ],
      { RUSAGE_OUT: rusage },
    );
    if (a.code !== 10) throw new Error(`agent exited ${String(a.code)}, expected 10 (image installed, reboot)`);
    const usage = JSON.parse(readFileSync(rusage, 'utf8')) as {
      maxRSS: number;
      userCPUTime: number;
      systemCPUTime: number;
    };
    if (into === agent)
      agentLoad.push({
        ms: a.ms,
        clientCpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
        serverCpuMs: cpuMsOf(server?.pid) - serverBefore,
      });
    into.push({
      ms: a.ms,
      rss: usage.maxRSS / 1024,
      userMs: usage.userCPUTime / 1000,
      sysMs: usage.systemCPUTime / 1000,
      phases: PARTS ? phasesOf(a.stdout, a.startedAt, a.ms) : {},
    });
    rmSync(dev, { recursive: true, force: true });
  };
  for (let i = 0; i < RUNS; i++) {
    await runAgent(CLI, i, 'agent', agent);
    if (BASE_CLI !== undefined) await runAgent(BASE_CLI, i, 'base', baseRuns);
    const out = join(work, `curl-${i}.bin`);
    const serverBefore = cpuMsOf(server?.pid);
    const c = await run('/usr/bin/time', ['-f', '%U %S', 'curl', '-sk', '-o', out, url]);
    if (c.code !== 0) throw new Error('curl -o failed');
    curlO.push(c.ms);
    const [u = '0', sy = '0'] = (c.stdout.trim().split('\n').pop() ?? '').split(' ');
    curlLoad.push({
      ms: c.ms,
      clientCpuMs: (Number(u) + Number(sy)) * 1000,
      serverCpuMs: cpuMsOf(server?.pid) - serverBefore,
    });
    rmSync(out, { force: true });
    const p = await run('bash', ['-c', `set -o pipefail; curl -sk '${url}' | tee '${out}' | sha256sum`]);
    if (!p.stdout.startsWith(sha)) throw new Error('curl pipeline hash mismatch');
    pipeline.push(p.ms);
    rmSync(out, { force: true });
    if (PARTS) {
      // The transport made durable, as the agent must make the image: curl -o, then fsync the file.
      const d = await run('bash', ['-c', `curl -sk -o '${out}' '${url}' && sync '${out}'`]);
      if (d.code !== 0) throw new Error('curl -o + sync failed');
      curlSync.push(d.ms);
      rmSync(out, { force: true });
    }
    for (const part of PARTS ? PART_NAMES : []) {
      const usageFile = join(work, `parts-${part}.json`);
      const r = await run(
        process.execPath,
        ['--import', PRELOAD, join(repo, 'bench/support/https-parts.mjs'), part, url, out],
        {
          RUSAGE_OUT: usageFile,
        },
      );
      if (r.code !== 0) throw new Error(`https-parts ${part} exited ${String(r.code)}`);
      const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { userCPUTime: number; systemCPUTime: number };
      (parts[part] ??= []).push({ ms: r.ms, userMs: usage.userCPUTime / 1000, sysMs: usage.systemCPUTime / 1000 });
      rmSync(out, { force: true });
    }
  }
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `image: ${MIB} MiB over ${base} (test bootstrap server${LINK_MBIT === undefined ? '' : `, ${LINK_MBIT} Mbit/s link`}), ${RUNS} runs each, medians`,
  );
  console.log(
    `agent run --once, start to exit 10 (validate, download, SHA-256, install): ${s(median(agent.map((a) => a.ms)))}`,
  );
  console.log(`curl -sk -o FILE:                  ${s(median(curlO))}`);
  console.log(`curl -sk | tee FILE | sha256sum:   ${s(median(pipeline))}`);
  console.log(`ratio agent / curl -o:   ${(median(agent.map((a) => a.ms)) / median(curlO)).toFixed(2)} (target ≤ 1.0)`);
  console.log(`ratio agent / pipeline:  ${(median(agent.map((a) => a.ms)) / median(pipeline)).toFixed(2)}`);
  console.log(`agent peak RSS: ${Math.max(...agent.map((a) => a.rss)).toFixed(1)} MiB (target ≤ 80 MB)`);
  if (BASE_CLI !== undefined) {
    console.log(
      `baseline agent (${BASE_CLI}): ${s(median(baseRuns.map((a) => a.ms)))}, ratio / curl -o ${(median(baseRuns.map((a) => a.ms)) / median(curlO)).toFixed(2)}, peak RSS ${Math.max(...baseRuns.map((a) => a.rss)).toFixed(1)} MiB; runs ${baseRuns.map((a) => s(a.ms)).join(', ')}; RSS ${baseRuns.map((a) => a.rss.toFixed(1)).join(', ')}`,
    );
  }
  const cores = availableParallelism();
  const busy = (l: Load[]): string => {
    const ms = median(l.map((x) => x.ms));
    const client = median(l.map((x) => x.clientCpuMs));
    const srv = median(l.map((x) => x.serverCpuMs));
    return `${s(ms)} wall, client CPU ${s(client)}, server CPU ${s(srv)}: ${((client + srv) / ms).toFixed(2)} of ${cores} cores busy`;
  };
  console.log(`the machine during curl -o: ${busy(curlLoad)}`);
  console.log(`the machine during the agent: ${busy(agentLoad)}`);
  // The transfer needs the server's CPU and the client's; on `cores` cores it cannot take less
  // than their sum spread over all of them. The agent's lower bound, from its own CPU:
  const bound = median(agentLoad.map((x) => (x.clientCpuMs + x.serverCpuMs) / cores));
  console.log(
    `agent lower bound on ${cores} cores, (agent CPU + server CPU) / cores: ${s(bound)}; agent / bound ${(median(agent.map((a) => a.ms)) / bound).toFixed(2)}; bound / curl -o ${(bound / median(curlO)).toFixed(2)}`,
  );
  const ideal = (median(curlLoad.map((x) => x.clientCpuMs + x.serverCpuMs)) + shaCpuMs) / cores;
  console.log(
    `an ideal client (curl -o's CPU + SHA-256 of the image, ${s(shaCpuMs)} with openssl dgst) with the server, over ${cores} cores: ${s(ideal)} (${(ideal / median(curlO)).toFixed(2)}× curl -o); agent / that ${(median(agent.map((a) => a.ms)) / ideal).toFixed(2)}`,
  );
  console.log(`agent RSS per run: ${agent.map((a) => a.rss.toFixed(1)).join(', ')} MiB`);
  console.log(
    `all runs: agent ${agent.map((a) => s(a.ms)).join(', ')}; curl -o ${curlO.map(s).join(', ')}; pipeline ${pipeline.map(s).join(', ')}`,
  );
  const cpu = (runs: { userMs: number; sysMs: number }[]): string =>
    `CPU user ${s(median(runs.map((r) => r.userMs)))}, system ${s(median(runs.map((r) => r.sysMs)))}`;
  console.log(`agent ${cpu(agent)}`);
  if (BASE_CLI !== undefined) console.log(`baseline agent ${cpu(baseRuns)}`);
  if (PARTS) {
    const phaseLine = (runs: AgentRun[]): string =>
      Object.keys(runs[0]?.phases ?? {})
        .map((k) => `${k} ${s(median(runs.map((r) => r.phases[k] ?? 0)))}`)
        .join(', ');
    console.log(
      `curl -sk -o FILE && sync FILE:     ${s(median(curlSync))} (agent / that: ${(median(agent.map((a) => a.ms)) / median(curlSync)).toFixed(2)})`,
    );
    console.log(`agent phases (medians): ${phaseLine(agent)}`);
    if (BASE_CLI !== undefined) console.log(`baseline agent phases (medians): ${phaseLine(baseRuns)}`);
    for (const part of PART_NAMES) {
      const r = parts[part] ?? [];
      console.log(
        `node:https ${part.padEnd(7)} ${s(median(r.map((x) => x.ms)))} (${(median(r.map((x) => x.ms)) / median(curlO)).toFixed(2)}× curl -o), ${cpu(r)}`,
      );
    }
  }
  console.log(`load average at end: ${load()}`);
} finally {
  server?.kill('SIGTERM');
  if (server !== undefined) await new Promise((r) => server?.once('close', r).once('error', r));
  cleanup?.();
  rmSync(work, { recursive: true, force: true });
}
