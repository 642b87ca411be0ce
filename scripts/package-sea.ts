/**
 * `npm run package:sea`: a Node.js 20 single executable application (SEA) holding node and the
 * agent, for images without Node.js: dist/sea/sztp-agent (Linux, the architecture of the node that
 * builds it). Steps, as Node's SEA documentation gives them:
 *   1. esbuild bundles src/cli.ts as one CommonJS file (Node 20's SEA runs a single CommonJS
 *      script whose require() reaches only built-in modules; scripts/build-bundle.ts --cjs);
 *   2. `node --experimental-sea-config` turns it into a blob, with V8's code cache (`useCodeCache`),
 *      so the executable starts without compiling the 1.3 MB script;
 *   3. a copy of the running node binary gets the blob injected with postject (devDependency).
 * Usage: node --import tsx scripts/package-sea.ts [--out DIR]; prints the executable's path and size.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle } from './build-bundle.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The fuse Node's SEA support looks for (Node's documentation, unchanged since 18.16). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Builds the executable into `outDir`; returns its path. */
export async function buildSea(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const script = join(outDir, 'sztp-agent.cjs');
  await buildBundle(script, 'cjs');
  const blob = join(outDir, 'sea-prep.blob');
  const config = join(outDir, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exe = join(outDir, 'sztp-agent');
  rmSync(exe, { force: true });
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  execFileSync(
    process.execPath,
    [join(REPO, 'node_modules', 'postject', 'dist', 'cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE],
    { stdio: 'ignore' },
  );
  rmSync(blob);
  rmSync(config);
  return exe;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const exe = await buildSea(i >= 0 ? resolve(process.argv[i + 1] ?? '.') : join(REPO, 'dist', 'sea'));
  console.log(`${exe} (${(statSync(exe).size / 1048576).toFixed(1)} MiB, node ${process.version})`);
}
