/**
 * The launcher of the single-file build. dist/sztp-agent.mjs (scripts/build-bundle.ts) is this
 * module plus the whole CommonJS bundle of src/cli.ts as one string literal, which V8 only scans.
 * `launch` compiles that string with V8's code cache from `<file>.cache` when there is one: the
 * agent then starts without parsing and compiling 1.4 MB of JavaScript at every boot, which Node 20
 * cannot avoid for an ES module or a plain script (it has no compile cache before Node 22).
 * The cache is written by `npm run build` (a warm-up run) or by any run with
 * SZTP_AGENT_WRITE_CODE_CACHE=1 (an image builder whose Node differs from the build's), which also
 * reports on stderr whether the cache found was accepted, rejected or absent.
 * A missing cache, or one V8 rejects (another V8 version or flags, another bundle, a truncated
 * file), only costs the compile: the agent runs from the source exactly as without one. V8 does
 * not checksum the cache's contents in release builds: the cache is code, installed and owned
 * like the bundle next to it (root, 0644), and written only by a rename of a synced temp file.
 * @module
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script, constants } from 'node:vm';

/**
 * The CommonJS module wrapper the build puts around the bundle (the literal holds it already: no
 * second copy at start-up), on a line of its own so that line 1 of the bundle keeps its columns.
 */
export const MODULE_WRAPPER = '(function (exports, require, module, __filename, __dirname) {\n';

type ModuleBody = (exports: unknown, req: NodeJS.Require, mod: { exports: unknown }, file: string, dir: string) => void;

/** Whether this process should (re)write the code cache at exit. */
const writeRequested = (): boolean => process.env.SZTP_AGENT_WRITE_CODE_CACHE === '1';

/** Reads the code cache; undefined when there is none (or it cannot be read: then there is none). */
function readCache(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Replaces `path` with `data` through a synced temp file and a rename (runs in an exit handler: synchronous). */
function writeCache(path: string, data: Buffer): string {
  const tmp = `${path}.tmp-${String(process.pid)}`;
  try {
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    return `written (${String(data.byteLength)} bytes)`;
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was created
    }
    return `not written: ${String(err)}`;
  }
}

/** Compiles and runs `wrapped` (MODULE_WRAPPER + the CommonJS bundle + `})`) as the module at file URL `url`. */
export function launch(wrapped: string, url: string): void {
  const file = fileURLToPath(url);
  const cachePath = `${file}.cache`;
  const cachedData = readCache(cachePath);
  const script = new Script(wrapped, {
    filename: file,
    lineOffset: -1,
    cachedData,
    // The bundle's own import() calls (node:sea, an operator's router adapter module) use Node's loader.
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (writeRequested()) {
    const found = cachedData === undefined ? 'absent' : script.cachedDataRejected === true ? 'rejected' : 'accepted';
    process.once('exit', () => {
      process.stderr.write(
        `sztp-agent: code cache ${cachePath}: ${found}; ${writeCache(cachePath, script.createCachedData())}\n`,
      );
    });
  }
  const mod = { exports: {} };
  const body = script.runInThisContext() as ModuleBody;
  body.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
}
