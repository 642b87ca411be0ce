/**
 * `sztp-agent run [--once]`: maps the command-line options onto the daemon (src/daemon/run-agent.ts)
 * and its exit code onto the process; exit 1 also prints `error SZTP_ERR_NO_SOURCE` on stderr. With a
 * `pkcs11:` IDevID key the agent runs itself again with the PKCS#11 engine (src/daemon/engine-restart.ts).
 * @module
 */
import { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { cliLogger, EXIT, globals, loadGlobalConfig, type CliContext } from './context.ts';

export function runCommand(ctx: CliContext): Command {
  return new Command('run')
    .description('run secure ZTP: try the fetchers in priority order until bootstrapping completes')
    .option('--once', 'one pass over the fetchers, then exit (1 when nothing succeeded)')
    .action(async (opts: { once?: boolean }, cmd: Command) => {
      const config = await loadGlobalConfig(cmd);
      const log = cliLogger(ctx, cmd, config);
      const g = globals(cmd);
      // A pkcs11: IDevID key: node:tls needs the PKCS#11 engine pre-loaded at process start (docs/hardware-keys.md).
      const { engineRestartNeeded, runWithEngine, startEngineHeartbeat } = await import('../daemon/engine-restart.ts');
      const module = engineRestartNeeded(config);
      if (module !== undefined) {
        ctx.exit(await runWithEngine(config, module, log));
        return;
      }
      startEngineHeartbeat();
      // The daemon (and through it the fetchers, adapters and trust pipeline) loads only for `run`.
      const { runAgent } = await import('../daemon/run-agent.ts');
      const code = await runAgent({
        config,
        log,
        once: opts.once === true,
        reloadConfig: () => loadConfig(g.config, { useDefaultsIfMissing: g.useDefaults === true }),
      });
      if (code === EXIT.failed)
        ctx.io.stderr('error SZTP_ERR_NO_SOURCE: no fetcher produced usable bootstrapping data\n');
      ctx.exit(code);
    });
}
