/**
 * The daemon (`sztp-agent run`): startup `start` false → exit 0 at once; SZTP flag off (RFC 8572
 * §5.1) → "secure ZTP disabled", exit 0; bootstrap already complete → exit 0 touching nothing.
 * Otherwise: lock state_dir, install the signal handlers, build the runtime (src/daemon/wire.ts)
 * and loop over the fetchers. Exit 0 complete (or stopped by SIGTERM/SIGINT), 1 nothing succeeded
 * (a configuration an interrupted attempt left committed is rolled back first), 10 reboot.
 * SIGHUP reloads ztp.ini for the next pass (a broken file is logged and the old one kept).
 * @module
 */
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/types.ts';
import { EXIT } from '../contracts/exit-codes.ts';
import { toSztpError } from '../errors.ts';
import { room } from '../log/logger.ts';
import { finishInterruptedRollback, rollbackInterrupted } from '../onboarding/rollback.ts';
import { setChildJournal } from '../platform/children.ts';
import { acquireLock } from '../platform/lock.ts';
import type { FileStateStore } from '../state/store.ts';
import { runPass } from './agent.ts';
import { reapDeadAgentChildren, stateChildJournal } from './children-journal.ts';
import { undoDeadAgentNetworkChanges } from './network-journal.ts';
import { runLoop, type LoopOutcome } from './loop.ts';
import { installSignalHandlers, type SignalHandling } from './signals.ts';
import { armStopDeadline } from './stop-deadline.ts';
import { buildRuntime, openStore, type Runtime } from './wire.ts';

export interface RunAgentDeps {
  readonly config: AgentConfig;
  readonly log: Logger;
  readonly once: boolean;
  /** Re-reads ztp.ini on SIGHUP. */
  readonly reloadConfig: () => Promise<AgentConfig>;
  readonly signals?: SignalHandling;
  readonly build?: (config: AgentConfig, log: Logger, store: FileStateStore) => Promise<Runtime>;
  readonly now?: () => Date;
}

const EXIT_FOR: Record<LoopOutcome, number> = {
  complete: EXIT.ok,
  reboot: EXIT.reboot,
  exhausted: EXIT.failed,
  aborted: EXIT.ok,
  disabled: EXIT.ok,
};

/** Runs the daemon; resolves to the exit code (throws SztpError for startup failures). */
export async function runAgent(deps: RunAgentDeps): Promise<number> {
  const log = room(deps.log, 'daemon');
  const now = deps.now ?? (() => new Date());
  let config = deps.config;
  if (!config.startup.start) {
    log.info('ZTP is not started: [Startup] start is False');
    return EXIT.ok;
  }
  const store = openStore(config, deps.log, now);
  const state = await store.read();
  if (!state.secureMode) {
    log.info('secure ZTP disabled (secure-mode is off); nothing to do');
    return EXIT.ok;
  }
  if (state.phase === 'bootstrap-complete') {
    log.info('bootstrap already complete; nothing to do');
    return EXIT.ok;
  }
  await mkdir(config.agent.stateDir, { recursive: true, mode: 0o700 });
  const lock = await acquireLock(config.agent.stateDir);
  const signals =
    deps.signals ??
    installSignalHandlers((name) => {
      log.info({ signal: name }, `received ${name}`);
      if (name !== 'SIGHUP') armStopDeadline(log);
    });
  try {
    const build = deps.build ?? buildRuntime;
    // Before anything else: end what a dead agent left running (never the same step twice at once).
    await reapDeadAgentChildren(store, log);
    // …and what it did to the interfaces (a leased address, routes, a link it set up).
    await undoDeadAgentNetworkChanges(store, log);
    setChildJournal(stateChildJournal(store));
    let runtime = await build(config, deps.log, store);
    // The adapter of the current runtime (a reload may build a new one).
    const rollbackDeps = () => ({ adapter: runtime.adapter, store, log: room(deps.log, 'onboarding'), now });
    // Before anything else: finish a rollback a crash interrupted (its restore may not have happened).
    await finishInterruptedRollback(rollbackDeps());
    log.info(
      { serialNumber: runtime.identity.serialNumber, fetchers: config.fetchers, adapter: config.router.adapter },
      'secure ZTP started',
    );
    const result = await runLoop({
      once: deps.once,
      signal: signals.signal,
      log,
      config: () => config,
      takeReload: () => signals.takeReload(),
      reload: async () => {
        try {
          const next = await deps.reloadConfig();
          if (next.agent.stateDir !== config.agent.stateDir)
            log.warn('state_dir cannot change on reload; restart the agent to use the new one');
          const fresh = await build(
            { ...next, agent: { ...next.agent, stateDir: config.agent.stateDir } },
            deps.log,
            store,
          );
          config = fresh.config;
          runtime = fresh;
          log.info({ fetchers: config.fetchers }, 'configuration reloaded');
        } catch (err) {
          const e = toSztpError(err, 'SZTP_ERR_INTERNAL');
          log.error({ code: e.code, err: e }, 'reload failed; keeping the previous configuration');
        }
      },
      enabled: async () => {
        const s = await store.read();
        if (!s.secureMode) log.info('secure ZTP disabled (secure-mode turned off); stopping');
        return s.secureMode;
      },
      pass: async () => {
        const r = await runPass({
          fetchers: runtime.fetchers,
          context: runtime.fetchContext(signals.signal),
          apply: (source) => runtime.apply(source, signals.signal),
          store,
          log,
          signal: signals.signal,
          now,
          fetcherBudgetMs: config.agent.fetcherBudgetSeconds * 1000,
        });
        // A pass in which no source delivered the interrupted attempt's information again rolls
        // it back now, not only when the loop ends (with retry_forever it never would).
        if (r.kind === 'none') await rollbackInterrupted(rollbackDeps());
        return r;
      },
    });
    const messages: Record<LoopOutcome, string> = {
      complete: 'bootstrap complete',
      reboot: 'a boot image was installed; rebooting (exit 10, the next run resumes)',
      exhausted: `no fetcher succeeded after ${result.passes} pass(es)`,
      aborted: 'stopped by signal; state is saved',
      disabled: 'secure ZTP disabled',
    };
    log.info({ outcome: result.outcome, passes: result.passes }, messages[result.outcome]);
    return EXIT_FOR[result.outcome];
  } finally {
    setChildJournal(undefined);
    if (deps.signals === undefined) signals.dispose();
    await lock.release();
  }
}
