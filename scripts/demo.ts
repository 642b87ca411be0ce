/**
 * `npm run demo`: the agent end to end, without root, on the bundled USB stick in fixtures/demo/
 * (signed with test-only keys by scripts/make-demo-fixtures.sh). Copies the stick into a temporary
 * directory, writes a ztp.ini (USB only, simulated router under the same directory), runs the real
 * CLI (`run --once`) and prints each RFC 8572 progress event as it happens. The stick carries a boot
 * image newer than the simulated router's, so the first run installs it and "reboots" (exit 10);
 * the demo runs the agent again, which finds the new image running and finishes onboarding. At the
 * end it prints `status` and the resulting running configuration. `--keep` keeps the directory.
 * @module
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { demoIni } from './demo-ini.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(repo, 'fixtures', 'demo');
const keep = process.argv.includes('--keep');

/** Newest modification time of the files under `dir` (0 when absent). */
function newest(dir: string): number {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) max = Math.max(max, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return max;
}

/**
 * The CLI as [executable, ...arguments]: `SZTP_AGENT_BIN` when set (e.g. the single executable of
 * `npm run package:sea`), else node with the bundle (`npm ci` builds dist/) unless the sources are
 * newer, else node with the sources through tsx.
 */
function cliCommand(): string[] {
  const bin = process.env.SZTP_AGENT_BIN;
  if (bin !== undefined && bin !== '') return [resolve(bin)];
  return [process.execPath, ...nodeCli()];
}

function nodeCli(): string[] {
  const built = join(repo, 'dist', 'sztp-agent.mjs');
  if (existsSync(built) && statSync(built).mtimeMs >= newest(join(repo, 'src'))) return [built];
  return ['--import', 'tsx', join(repo, 'src', 'cli.ts')];
}

interface LogLine {
  readonly level?: number;
  readonly msg?: string;
  readonly progressType?: string;
  readonly code?: string;
  readonly time?: string;
}

function show(line: string): void {
  let rec: LogLine;
  try {
    rec = JSON.parse(line) as LogLine;
  } catch {
    if (line.trim() !== '') console.log(`    ${line}`);
    return;
  }
  const time = rec.time?.slice(11, 23) ?? '';
  if (rec.progressType !== undefined) {
    const first = (rec.msg ?? '').split('\n')[0] ?? '';
    console.log(`  ${time}  ${rec.progressType.padEnd(30)} ${first === rec.progressType ? '' : first}`);
  } else if ((rec.level ?? 0) >= 40) {
    console.log(`  ${time}  ! ${rec.code === undefined ? '' : `${rec.code} `}${rec.msg ?? ''}`);
  }
}

function runCli(
  args: readonly string[],
  onStderrLine?: (l: string) => void,
): Promise<{ code: number; stdout: string }> {
  return new Promise((res, rej) => {
    const [exe = process.execPath, ...cli] = cliCommand();
    const child = spawn(exe, [...cli, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    createInterface({ input: child.stderr }).on('line', (l) => onStderrLine?.(l));
    child.on('error', rej);
    child.on('close', (code) => {
      res({ code: code ?? 1, stdout });
    });
  });
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sztp-demo-'));
  try {
    const stick = join(dir, 'usb-stick');
    cpSync(join(fixtures, 'usb'), stick, { recursive: true });
    const ini = join(dir, 'ztp.ini');
    writeFileSync(ini, demoIni({ fixtures, stick, osVersion: '1.0', retryForever: false, logLevel: 'info' }));
    console.log(`sztp-agent demo in ${dir}`);
    console.log(`  USB stick: ${stick}/EN9 (signed with the test-only keys of fixtures/demo)`);
    console.log('  router:    simulated, running SimOS 1.0 with no configuration');
    console.log(
      `  agent:     ${cliCommand()
        .map((a) => (a === process.execPath ? 'node' : a))
        .join(' ')}\n`,
    );

    let code = 10;
    for (let boot = 1; code === 10 && boot <= 3; boot += 1) {
      console.log(`$ sztp-agent run --once --config ztp.ini      (boot ${boot})`);
      ({ code } = await runCli(['run', '--once', '--config', ini], show));
      console.log(
        `  → exit ${code}${code === 10 ? ' (image installed, reboot requested: the simulated router reboots)' : ''}\n`,
      );
    }

    console.log('$ sztp-agent status --config ztp.ini');
    process.stdout.write((await runCli(['status', '--config', ini])).stdout);
    const cfg = join(dir, 'router', 'running-config');
    console.log('\n$ cat router/running-config');
    process.stdout.write(existsSync(cfg) ? readFileSync(cfg, 'utf8') : '(no running configuration)\n');
    const scriptsLog = join(dir, 'router', 'scripts.log');
    if (existsSync(scriptsLog)) {
      console.log('\n$ cat router/scripts.log');
      process.stdout.write(readFileSync(scriptsLog, 'utf8'));
    }
    if (keep) console.log(`\nkept ${dir}`);
    return code;
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
