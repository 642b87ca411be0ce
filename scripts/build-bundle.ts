/**
 * The single-file build (`npm run build`, after tsc): dist/sztp-agent.mjs, the file the npm `bin`,
 * the systemd unit, the SysV script and the Debian package run, with a linked source map.
 *   1. esbuild bundles src/cli.ts with every runtime dependency inlined as one CommonJS script
 *      (Node 20, minified). Dynamic imports stay lazy inside it: esbuild turns each lazily imported
 *      module into an init function that runs on first import, so `status` never evaluates pkijs.
 *   2. dist/sztp-agent.mjs is the launcher (src/launch.ts) with that script as one string literal:
 *      still one file an image builder can drop in, and V8 only scans the literal.
 *   3. A warm-up run of the file (a complete demo onboarding on the simulated router, then
 *      `config`) writes V8's code cache next to it (dist/sztp-agent.mjs.cache), so later starts
 *      skip compiling the script. Without the cache file the agent runs the same, only slower.
 * `--cjs OUT` writes the plain CommonJS bundle instead (the entry of the single executable, see
 * scripts/package-sea.ts: Node 20's SEA runs one CommonJS script and has its own code cache).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { MODULE_WRAPPER } from '../src/launch.ts';
import { demoIni } from './demo-ini.ts';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHEBANG = '#!/usr/bin/env node';
/** Stands for the bundle's text in the launcher's output until it is spliced in. */
const PLACEHOLDER = '__SZTP_AGENT_BUNDLE_SOURCE__';

const version = (): string =>
  (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** esbuild options for the CommonJS bundle of the CLI. */
function cjsOptions(): BuildOptions {
  return {
    entryPoints: [join(REPO, 'src', 'cli.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcesContent: false,
    legalComments: 'external',
    logLevel: 'warning',
    define: { 'process.env.SZTP_AGENT_BUILD_VERSION': JSON.stringify(version()) },
  };
}

/** Writes the plain CommonJS bundle (single executable entry) with its linked source map. */
async function buildCjs(outfile: string): Promise<void> {
  await build({ ...cjsOptions(), outfile, sourcemap: 'linked' });
}

/** The CommonJS bundle in memory: its text (wrapped, hashbang neutralised, source map URL appended), map, legal notices. */
async function bundleText(outfile: string): Promise<{ js: string; map: string; legal: string }> {
  const r = await build({ ...cjsOptions(), outfile, sourcemap: 'external', write: false });
  const text = (suffix: string): string => r.outputFiles.find((f) => f.path.endsWith(suffix))?.text ?? '';
  const js = text('.mjs');
  // The script runs inside the CommonJS function wrapper (src/launch.ts), written here rather than
  // concatenated at start-up (a second copy of 1.4 MB); `//` for the hashbang keeps the columns.
  const body = js.startsWith('#!') ? `//${js.slice(2)}` : js;
  const mapUrl = `//# sourceMappingURL=${basename(outfile)}.map`;
  return { js: `${MODULE_WRAPPER}${body}\n})\n${mapUrl}\n`, map: text('.map'), legal: text('.LEGAL.txt') };
}

/** The launcher module, minified, with `source` as its one string literal. */
async function launcherText(source: string): Promise<string> {
  const r = await build({
    stdin: {
      contents: `import { launch } from './src/launch.ts';\nlaunch(${PLACEHOLDER}, import.meta.url);\n`,
      resolveDir: REPO,
      sourcefile: 'sztp-agent-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    write: false,
    logLevel: 'warning',
    define: { [PLACEHOLDER]: 'undefined' },
  });
  const launcher = r.outputFiles[0]?.text ?? '';
  // define() of a name to `undefined` leaves the call as launch(void 0, …): splice the literal there.
  const at = launcher.indexOf('(void 0,');
  if (at < 0 || launcher.indexOf('(void 0,', at + 1) >= 0) throw new TypeError('launcher: no unique bundle slot');
  return `${SHEBANG}\n${launcher.slice(0, at + 1)}${JSON.stringify(source)}${launcher.slice(at + 7)}`;
}

/** Runs the built file once with SZTP_AGENT_WRITE_CODE_CACHE=1: a demo onboarding, then `config`. */
function warmUp(outfile: string): void {
  const work = mkdtempSync(join(tmpdir(), 'sztp-warm-up-'));
  try {
    const fixtures = join(REPO, 'fixtures', 'demo');
    const stick = join(work, 'usb');
    cpSync(join(fixtures, 'usb'), stick, { recursive: true });
    const ini = join(work, 'ztp.ini');
    writeFileSync(ini, demoIni({ fixtures, stick, osVersion: '2.0', retryForever: false, logLevel: 'warn' }));
    const r = spawnSync(process.execPath, [outfile, 'run', '--once', '--config', ini], {
      cwd: work,
      env: { ...process.env, SZTP_AGENT_WRITE_CODE_CACHE: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status !== 0) throw new TypeError(`warm-up run of ${outfile} failed (${String(r.status)}): ${r.stderr}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Builds the single file `outfile` (ESM launcher + bundle), its source map, legal notices and code cache. */
export async function buildBundle(outfile: string, format: 'esm' | 'cjs'): Promise<void> {
  if (format === 'cjs') return buildCjs(outfile);
  const { js, map, legal } = await bundleText(outfile);
  mkdirSync(dirname(outfile), { recursive: true });
  writeFileSync(outfile, await launcherText(js), { mode: 0o755 });
  writeFileSync(`${outfile}.map`, map);
  writeFileSync(`${outfile}.LEGAL.txt`, legal);
  rmSync(`${outfile}.cache`, { force: true });
  warmUp(outfile);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--cjs');
  const out = i >= 0 ? resolve(process.argv[i + 1] ?? '') : join(REPO, 'dist', 'sztp-agent.mjs');
  await buildBundle(out, i >= 0 ? 'cjs' : 'esm');
}
