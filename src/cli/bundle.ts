/**
 * STUB (owned by the trust-pipeline work): the `bundle` subcommand. Replace this file; keep the export.
 * @module
 */
import { Command } from 'commander';

/** The `sztp-agent bundle` command, added to the program by src/cli/program.ts. */
export function bundleCommand(): Command {
  return new Command('bundle').description('not implemented yet');
}
