/**
 * What every CLI command receives: output functions (stdout for results, stderr for the
 * `error <CODE>: message` line and logs), an optional log destination (tests), and the way a
 * command reports its exit code. Lets tests run the CLI in-process (src/cli/program.ts runCli).
 * @module
 */
import type { Command } from 'commander';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../config/load.ts';
import type { AgentConfig } from '../config/types.ts';
import { LOG_LEVELS, createLogger, type Logger } from '../log/logger.ts';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Where pino logs go (default: fd 2). */
  readonly logDestination?: DestinationStream;
}

export interface CliContext {
  readonly io: CliIo;
  /** Sets the process exit code of this invocation. */
  exit(code: number): void;
}

/** Exit codes of the CLI (README "CLI"). */
export { EXIT } from '../contracts/exit-codes.ts';

/** stdout/stderr of a subcommand, through commander's configured output (so in-process tests capture it). */
export function commandOutput(command: Command): Pick<CliIo, 'stdout' | 'stderr'> {
  const out = command.configureOutput();
  return {
    stdout: (t) => {
      (out.writeOut ?? ((s: string) => process.stdout.write(s)))(t);
    },
    stderr: (t) => {
      (out.writeErr ?? ((s: string) => process.stderr.write(s)))(t);
    },
  };
}

export interface GlobalOptions {
  readonly config: string;
  readonly useDefaults?: boolean;
  readonly logLevel?: string;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** Loads the configuration named by `--config` (throws ConfigError). */
export function loadGlobalConfig(cmd: Command): Promise<AgentConfig> {
  const g = globals(cmd);
  return loadConfig(g.config, { useDefaultsIfMissing: g.useDefaults === true });
}

/** The root logger for a command, at the configured level unless `--log-level` overrides it. */
export function cliLogger(ctx: CliContext, cmd: Command, config: AgentConfig): Logger {
  const level = globals(cmd).logLevel ?? config.agent.logLevel;
  return createLogger({
    level: LOG_LEVELS.find((l) => l === level) ?? config.agent.logLevel,
    ...(ctx.io.logDestination === undefined ? {} : { destination: ctx.io.logDestination }),
  });
}
