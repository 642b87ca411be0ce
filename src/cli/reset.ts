/**
 * `sztp-agent reset`: back to the factory-default state. Takes the state_dir lock (refused while
 * an agent runs), calls the adapter's factoryReset() (the simulated router's configuration is
 * removed), removes the folders src/lib/state-layout.ts lists for reset (adapter work files, CSR
 * keys) and writes a fresh factory-default state (SZTP
 * flag enabled, no journal, no events).
 * @module
 */
import { mkdir, rm } from 'node:fs/promises';
import { Command } from 'commander';
import { openAdapter, openStore } from '../daemon/open.ts';
import { room } from '../log/logger.ts';
import { stateLayout } from '../lib/state-layout.ts';
import { acquireLock } from '../platform/lock.ts';
import { EXIT, cliLogger, loadGlobalConfig, type CliContext } from './context.ts';

export function resetCommand(ctx: CliContext): Command {
  return new Command('reset')
    .description('return the device to the factory-default state (state cleared, router factory reset)')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = await loadGlobalConfig(cmd);
      const log = cliLogger(ctx, cmd, config);
      await mkdir(config.agent.stateDir, { recursive: true, mode: 0o700 });
      const lock = await acquireLock(config.agent.stateDir);
      try {
        const adapter = await openAdapter(config, log);
        await adapter.factoryReset();
        for (const dir of stateLayout(config.agent.stateDir).clearedOnReset)
          await rm(dir, { recursive: true, force: true });
        await openStore(config, log).reset();
        room(log, 'cli').info({ stateDir: config.agent.stateDir, adapter: adapter.name }, 'reset to factory defaults');
        ctx.io.stdout('reset to factory defaults\n');
      } finally {
        await lock.release();
      }
      ctx.exit(EXIT.ok);
    });
}
