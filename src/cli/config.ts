/**
 * `sztp-agent config [--json]`: prints the effective configuration (ztp.ini syntax, or JSON with
 * `fetchers`, the enabled fetchers in the order they are tried). A broken file exits 2 and lists
 * every problem as `ztp.ini:5: … (CODE)`.
 * @module
 */
import { Command } from 'commander';
import { renderEffective } from '../config/render.ts';
import { EXIT, loadGlobalConfig, type CliContext } from './context.ts';

export function configCommand(ctx: CliContext): Command {
  return new Command('config')
    .description('print the effective configuration (exit 2 listing every problem when ztp.ini is broken)')
    .option('--json', 'print JSON (includes `fetchers`, the enabled fetchers in order)')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = await loadGlobalConfig(cmd);
      ctx.io.stdout(opts.json === true ? `${JSON.stringify(config, null, 2)}\n` : renderEffective(config));
      ctx.exit(EXIT.ok);
    });
}
