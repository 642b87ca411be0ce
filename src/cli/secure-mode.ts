/**
 * `sztp-agent secure-mode enable|disable|status`: the persisted SZTP flag (RFC 8572 §5.1;
 * the seed's `ztp secure-mode enable`). Enabled on a factory-default device; when disabled,
 * `run` logs "secure ZTP disabled" and exits 0.
 * @module
 */
import { Argument, Command } from 'commander';
import { openStore } from '../daemon/open.ts';
import { withSecureMode } from '../state/machine.ts';
import { EXIT, cliLogger, loadGlobalConfig, type CliContext } from './context.ts';

export function secureModeCommand(ctx: CliContext): Command {
  return new Command('secure-mode')
    .description('enable, disable or show the secure ZTP flag')
    .addArgument(new Argument('<action>', 'what to do').choices(['enable', 'disable', 'status']))
    .option('--json', 'print {"secureMode": true|false}')
    .action(async (action: 'enable' | 'disable' | 'status', opts: { json?: boolean }, cmd: Command) => {
      const config = await loadGlobalConfig(cmd);
      const store = openStore(config, cliLogger(ctx, cmd, config));
      // Run by an onboarding script (SZTP_SCRIPT_KIND set): the onboarding's own choice, which does not stop it.
      const by = process.env.SZTP_SCRIPT_KIND === undefined ? 'operator' : 'onboarding';
      const state =
        action === 'status'
          ? await store.read()
          : await store.update((s) => withSecureMode(s, action === 'enable', by));
      ctx.io.stdout(
        opts.json === true
          ? `${JSON.stringify({ secureMode: state.secureMode })}\n`
          : `secure-mode ${state.secureMode ? 'enabled' : 'disabled'}\n`,
      );
      ctx.exit(EXIT.ok);
    });
}
