/**
 * The daemon loop: passes over the fetchers until one succeeds (RFC 8572 §5.1: a device keeps
 * trying its sources). With `retry_forever` the loop sleeps with exponential backoff plus jitter
 * between passes; otherwise (or with `--once`) it stops after one pass. An AbortSignal stops it at
 * once, also during the sleep; a SIGHUP reload is taken before the next pass.
 * @module
 */
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/types.ts';
import type { FetcherFailure, PassResult } from './agent.ts';
import { backoffDelayMs } from './backoff.ts';
import { abortableSleep } from './signals.ts';

export type LoopOutcome = 'complete' | 'reboot' | 'exhausted' | 'aborted' | 'disabled';

export interface LoopResult {
  readonly outcome: LoopOutcome;
  readonly passes: number;
  /** Failures of the last pass that found nothing. */
  readonly failures: readonly FetcherFailure[];
}

export interface LoopDeps {
  readonly once: boolean;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** The configuration for the next pass (changes after a reload). */
  readonly config: () => AgentConfig;
  readonly pass: (config: AgentConfig) => Promise<PassResult>;
  /** True once after SIGHUP; then `reload` runs before the next pass. */
  readonly takeReload?: () => boolean;
  readonly reload?: () => Promise<void>;
  /** Checked before each pass: false (SZTP flag turned off meanwhile) ends the loop as `disabled`. */
  readonly enabled?: () => Promise<boolean>;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<boolean>;
  readonly random?: () => number;
}

export async function runLoop(deps: LoopDeps): Promise<LoopResult> {
  const sleep = deps.sleep ?? abortableSleep;
  let passes = 0;
  let failures: readonly FetcherFailure[] = [];
  const aborted = (): boolean => deps.signal.aborted;
  const result = (outcome: LoopOutcome): LoopResult => ({ outcome, passes, failures });
  for (let attempt = 0; ; attempt++) {
    if (aborted()) return result('aborted');
    if (deps.takeReload?.() === true && deps.reload !== undefined) await deps.reload();
    if (deps.enabled !== undefined && !(await deps.enabled())) return result('disabled');
    const config = deps.config();
    passes++;
    deps.log.info(
      { pass: passes, fetchers: config.fetchers },
      `pass ${passes}: trying ${config.fetchers.join(', ') || 'no fetchers'}`,
    );
    const r = await deps.pass(config);
    if (r.kind !== 'none') return result(r.kind);
    failures = r.failures;
    if (aborted()) return result('aborted');
    if (deps.once || !config.startup.retryForever) {
      deps.log.warn(
        { code: 'SZTP_ERR_NO_SOURCE', failures: failures.map((f) => `${f.fetcher}: ${f.code}`) },
        'no fetcher produced usable bootstrapping data',
      );
      return result('exhausted');
    }
    const delayMs = backoffDelayMs(
      attempt,
      { initialMs: config.agent.backoffInitialSeconds * 1000, maxMs: config.agent.backoffMaxSeconds * 1000 },
      deps.random,
    );
    deps.log.info({ code: 'SZTP_ERR_NO_SOURCE', delayMs, attempt }, `no fetcher succeeded; next pass in ${delayMs} ms`);
    if (!(await sleep(delayMs, deps.signal)) && aborted()) return result('aborted');
  }
}
