/**
 * The single-file build (`npm run build`, after tsc): esbuild bundles src/cli.ts with every runtime
 * dependency inlined into dist/sztp-agent.mjs (ESM, Node 20, minified, with a linked source map),
 * the file the npm `bin`, the systemd unit, the SysV script and the Debian package run.
 * `--cjs OUT` writes a CommonJS bundle instead (the entry of the single executable, see
 * scripts/package-sea.ts: Node 20's SEA runs one CommonJS script).
 * Dynamic imports stay lazy inside the one file: esbuild turns each lazily imported module into an
 * init function that runs on first import, so `status` never evaluates pkijs or undici.
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** esbuild options for the CLI bundle written to `outfile`. */
export function bundleOptions(outfile: string, format: 'esm' | 'cjs'): BuildOptions {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  return {
    entryPoints: [join(REPO, 'src', 'cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'linked',
    logLevel: 'warning',
    define: { 'process.env.SZTP_AGENT_BUILD_VERSION': JSON.stringify(pkg.version) },
    // CommonJS dependencies (pino, undici) call require() for Node built-ins: give the ESM bundle one.
    banner:
      format === 'esm'
        ? {
            js: "import { createRequire as __sztpCreateRequire } from 'node:module'; const require = __sztpCreateRequire(import.meta.url);",
          }
        : {},
  };
}

export async function buildBundle(outfile: string, format: 'esm' | 'cjs'): Promise<void> {
  await build(bundleOptions(outfile, format));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--cjs');
  const out = i >= 0 ? resolve(process.argv[i + 1] ?? '') : join(REPO, 'dist', 'sztp-agent.mjs');
  await buildBundle(out, i >= 0 ? 'cjs' : 'esm');
}
