/**
 * The `sztp-agent` command line (commander): global `--config FILE` (default
 * /etc/sztp-agent/ztp.ini), the subcommands, and the mapping of errors to exit codes and to the
 * `error <CODE>: message` line on stderr. `runCli` runs it in-process (tests) and returns the
 * exit code; src/cli.ts is the binary.
 * Exit codes: 0 ok, 1 nothing succeeded / invalid, 2 usage or configuration error (each error
 * code's exit code is in the catalogue, src/errors.ts), 10 reboot.
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { exitCodeOf, toSztpError } from '../errors.ts';
import { LOG_LEVELS } from '../log/logger.ts';
import { bundleCommand } from './bundle.ts';
import { configCommand } from './config.ts';
import { EXIT, type CliContext, type CliIo } from './context.ts';
import { resetCommand } from './reset.ts';
import { runCommand } from './run.ts';
import { secureModeCommand } from './secure-mode.ts';
import { statusCommand } from './status.ts';
import { verifyCommand } from './verify.ts';

export const DEFAULT_CONFIG_FILE = '/etc/sztp-agent/ztp.ini';

/**
 * The package version: set at build time in the bundle (scripts/build-bundle.ts), else read from
 * package.json, two levels up from both src/cli/ and dist/cli/.
 */
function packageVersion(): string {
  const built = process.env.SZTP_AGENT_BUILD_VERSION;
  if (built !== undefined && built !== '') return built;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Builds the program; `ctx` receives output and the exit code. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('sztp-agent')
    .description('Secure Zero Touch Provisioning agent (RFC 8572) for routers')
    .version(packageVersion())
    .addOption(new Option('-c, --config <file>', 'ztp.ini to use').default(DEFAULT_CONFIG_FILE))
    .option('--use-defaults', 'use the built-in defaults when the configuration file does not exist')
    .addOption(new Option('--log-level <level>', 'override [Agent] log_level').choices(LOG_LEVELS))
    .showHelpAfterError(false);
  program.addCommand(runCommand(ctx));
  program.addCommand(configCommand(ctx));
  program.addCommand(statusCommand(ctx));
  program.addCommand(secureModeCommand(ctx));
  program.addCommand(resetCommand(ctx));
  program.addCommand(verifyCommand());
  program.addCommand(bundleCommand());
  configureTree(program, ctx.io);
  return program;
}

function configureTree(cmd: Command, io: CliIo): void {
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: (s) => {
      io.stdout(s);
    },
    writeErr: (s) => {
      io.stderr(s);
    },
  });
  for (const sub of cmd.commands) configureTree(sub, io);
}

/** Runs the CLI with user arguments (no `node` / script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const ctx: CliContext = {
    io,
    exit: (c) => {
      code = c;
    },
  };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      // A subcommand may end itself through commander with its own code (verify/bundle): keep its exit code.
      if (!err.code.startsWith('commander.')) return err.exitCode;
      io.stderr(`error SZTP_ERR_USAGE: ${err.message.replace(/^error: /, '')}\n`);
      return EXIT.usage;
    }
    const e = toSztpError(err, 'SZTP_ERR_INTERNAL');
    io.stderr(`error ${e.code}: ${e.message}\n`);
    return exitCodeOf(e);
  }
}

/** Process-backed I/O for the binary. */
export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};
