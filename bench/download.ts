/**
 * Boot-image download benchmark: a 1 GiB random image served over loopback HTTPS by the test
 * bootstrap server (its own process), downloaded and verified (SHA-256) by the agent's `downloadImage` in a child
 * process (compiled JS, so the peak RSS is the agent's, not tsx's), against
 * `curl -sk URL | tee FILE | sha256sum` on the same file in the same run. Prints the wall-clock
 * ratio and the agent's peak RSS (targets: ratio ≤ 1.0, RSS ≤ 80 MB). `npm run bench -- download`;
 * `BENCH_MIB=256` for a smaller image.
 * @module
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { makeTestPki } from '../test/support/pki.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const MIB = Number(process.env.BENCH_MIB ?? 1024);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);

/** Transpiles the download modules (and their runtime imports) to JS under bench/.build-<pid>. */
function buildChild(out: string): string {
  const files = ['src/errors.ts', 'src/download/image-download.ts', 'src/download/http-fetch.ts', 'src/download/sink.ts'];
  for (const f of files) {
    const js = ts.transpileModule(readFileSync(join(repo, f), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, rewriteRelativeImportExtensions: true, verbatimModuleSyntax: true },
    }).outputText.replace(/from '(\.{1,2}\/[^']+)\.ts'/g, "from '$1.js'");
    const dest = join(out, f.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, js);
  }
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  const child = join(out, 'child.js');
  writeFileSync(child, `
import { createImageDownloader } from './src/download/image-download.js';
const [url, sha, dest, max] = process.argv.slice(2);
const log = { info() {}, warn() {}, debug() {}, child() { return log; } };
const peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const timer = process.env.BENCH_MEM ? setInterval(() => { const m = process.memoryUsage(); for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], Math.round(m[k] / 1048576)); }, 50) : undefined;
const t0 = performance.now();
const r = await createImageDownloader()({ uris: [url], expected: [{ algorithm: 'sha-256', value: Buffer.from(sha, 'hex') }], destDir: dest, maxBytes: Number(max), log });
const ms = performance.now() - t0;
if (timer) { clearInterval(timer); process.stderr.write('memory peaks MB ' + JSON.stringify(peak) + ' startup ' + Math.round(performance.timeOrigin ? t0 : 0) + 'ms' + String.fromCharCode(10)); }
process.stdout.write(JSON.stringify({ ms, bytes: r.bytes, sha256: r.sha256, maxRssKiB: process.resourceUsage().maxRSS }) + '\\n');
`);
  return child;
}

function run(cmd: string, args: string[]): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - t0, stdout }) : reject(new Error(`${cmd} exited ${code}`))));
  });
}

const work = mkdtempSync(join(tmpdir(), 'sztp-bench-dl-'));
const build = join(repo, 'bench', `.build-${process.pid}`);
let server: ChildProcess | undefined;
try {
  const pki = makeTestPki(join(work, 'pki'));
  mkdirSync(join(work, 'images'));
  const image = join(work, 'images', 'image.bin');
  console.log(`generating a ${MIB} MiB random image…`);
  execFileSync('openssl', ['rand', '-out', image, String(MIB * 1024 * 1024)]);
  const sha = execFileSync('sha256sum', [image]).toString().split(' ')[0] ?? '';
  // The test server runs as its own process (npm run test-server), like a real one.
  const srv = spawn(process.execPath, ['--import', 'tsx', join(repo, 'test/support/bootstrap-server-cli.ts'), '--port', '0',
    '--cert', pki.server.cert, '--key', pki.server.key, '--images', join(work, 'images')], { stdio: ['ignore', 'pipe', 'inherit'] });
  server = srv;
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    srv.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    srv.on('exit', (code) => reject(new Error(`test server exited ${code}`)));
  });
  const url = `${base}/images/image.bin`;
  const child = buildChild(build);
  const agent: { wall: number; inner: number; rss: number }[] = [];
  const tuned: { wall: number; rss: number }[] = [];
  const curl: number[] = [];
  const runAgent = async (flags: string[], dest: string): Promise<{ wall: number; inner: number; rss: number }> => {
    const a = await run(process.execPath, [...flags, child, url, sha, dest, String(2 * MIB * 1024 * 1024)]);
    const res = JSON.parse(a.stdout) as { ms: number; sha256: string; maxRssKiB: number };
    if (res.sha256 !== sha) throw new Error('agent hash mismatch');
    rmSync(dest, { recursive: true, force: true });
    return { wall: a.ms, inner: res.ms, rss: res.maxRssKiB / 1024 };
  };
  for (let i = 0; i < RUNS; i++) {
    agent.push(await runAgent([], join(work, `agent-${i}`)));
    // Same code with a small V8 young generation (e.g. NODE_OPTIONS in the service unit): buffers are freed sooner.
    tuned.push(await runAgent(['--max-semi-space-size=1'], join(work, `tuned-${i}`)));
    const out = join(work, `curl-${i}.bin`);
    const c = await run('bash', ['-c', `set -o pipefail; curl -sk '${url}' | tee '${out}' | sha256sum`]);
    if (!c.stdout.startsWith(sha)) throw new Error('curl hash mismatch');
    curl.push(c.ms);
    rmSync(out, { force: true });
  }
  const best = (xs: number[]): number => Math.min(...xs);
  const agentWall = best(agent.map((a) => a.wall));
  const agentInner = best(agent.map((a) => a.inner));
  const curlWall = best(curl);
  const rss = Math.max(...agent.map((a) => a.rss));
  console.log(`image: ${MIB} MiB over https://127.0.0.1 (test bootstrap server), ${RUNS} runs each, best run shown`);
  console.log(`agent downloadImage (child process, incl. node start): ${(agentWall / 1000).toFixed(2)} s  (download+verify only: ${(agentInner / 1000).toFixed(2)} s)`);
  console.log(`curl -sk | tee | sha256sum:                            ${(curlWall / 1000).toFixed(2)} s`);
  console.log(`wall-clock ratio agent/curl: ${(agentWall / curlWall).toFixed(2)} (target ≤ 1.0)`);
  console.log(`agent peak RSS: ${rss.toFixed(1)} MB (target ≤ 80 MB)`);
  console.log(`agent with node --max-semi-space-size=1: ${(best(tuned.map((a) => a.wall)) / 1000).toFixed(2)} s, ratio ${(best(tuned.map((a) => a.wall)) / curlWall).toFixed(2)}, peak RSS ${Math.max(...tuned.map((a) => a.rss)).toFixed(1)} MB`);
  console.log(`all runs: agent ${agent.map((a) => (a.wall / 1000).toFixed(2)).join(', ')} s; curl ${curl.map((c) => (c / 1000).toFixed(2)).join(', ')} s`);
} finally {
  server?.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
  rmSync(build, { recursive: true, force: true });
}
