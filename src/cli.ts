#!/usr/bin/env node
/**
 * The `sztp-agent` binary (package.json `bin` → dist/cli.js): runs the CLI of src/cli/program.ts
 * with the process arguments and exits with its code once stdout is flushed.
 * @module
 */
import { processIo, runCli } from './cli/program.ts';

const code = await runCli(process.argv.slice(2), processIo);
process.exitCode = code;
// Whatever a fetcher or adapter left open (sockets, timers) must not keep a finished run alive.
process.stdout.write('', () => process.exit(code));
