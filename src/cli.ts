#!/usr/bin/env node
/**
 * The `sztp-agent` binary: runs the CLI of src/cli/program.ts with the process arguments and exits
 * with its code once stdout is flushed. `npm run build` bundles it with its dependencies into
 * dist/sztp-agent.mjs (scripts/build-bundle.ts), the package.json `bin`. No top-level await: the
 * same entry is bundled as CommonJS for the single executable (scripts/package-sea.ts).
 * @module
 */
import { processIo, runCli } from './cli/program.ts';

void runCli(process.argv.slice(2), processIo).then((code) => {
  process.exitCode = code;
  // Whatever a fetcher or adapter left open (sockets, timers) must not keep a finished run alive.
  process.stdout.write('', () => process.exit(code));
});
