/**
 * STUB (owned by the trust-pipeline work): the `verify` subcommand. Replace this file; keep the export.
 * @module
 */
import { Command } from 'commander';

/** The `sztp-agent verify` command, added to the program by src/cli/program.ts. */
export function verifyCommand(): Command {
  return new Command('verify').description('not implemented yet');
}
