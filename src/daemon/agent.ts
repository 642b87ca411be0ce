/**
 * One pass of the agent (RFC 8572 §5.1, seed "moves to the next fetcher"): try each enabled
 * fetcher in priority order; a failure is logged with its code and the next fetcher is tried; a
 * source that fetches and validates is handed to the onboarding applier; a failed apply returns
 * to the enclosing loop (RFC 8572 §5.6, C-114): the fetcher's next source (`source.next`: next
 * address, redirect entry, mount point, interface), and only then the next fetcher. The source
 * the pass stops at is released. Every thrown value counts as "move on".
 * @module
 */
import type { Logger } from 'pino';
import { SztpError, toSztpError, type SztpErrorCode } from '../errors.ts';
import type { Fetcher, FetchContext, OnboardingSource } from '../contracts/fetch.ts';
import type { ApplyOutcome } from '../onboarding/types.ts';
import { withError, withPhase } from '../state/machine.ts';
import type { StateStore } from '../state/types.ts';

export interface FetcherFailure {
  readonly fetcher: string;
  readonly code: SztpErrorCode;
  readonly message: string;
}

export type PassResult =
  | { readonly kind: 'complete'; readonly source: string }
  | { readonly kind: 'reboot'; readonly source: string }
  | { readonly kind: 'none'; readonly failures: readonly FetcherFailure[] }
  | { readonly kind: 'aborted' }
  /** Secure ZTP was turned off while onboarding ran (checked before each step; the loop checks before each pass). */
  | { readonly kind: 'disabled' };

export interface PassDeps {
  /** Enabled fetchers, already in priority order. */
  readonly fetchers: readonly Fetcher[];
  readonly context: FetchContext;
  readonly apply: (source: OnboardingSource) => Promise<ApplyOutcome>;
  readonly store: StateStore;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** Time one fetcher may take (ms); then it is aborted and the pass moves on. Default: none. */
  readonly fetcherBudgetMs?: number;
  /** How long a stopped fetcher may take to undo its changes (DHCP addresses, mounts). Default CLEANUP_WAIT_MS. */
  readonly cleanupWaitMs?: number;
}

/** Bounded wait for a stopped fetcher's cleanup (well inside the 5 s a SIGTERM may take). */
export const CLEANUP_WAIT_MS = 2500;

/** Runs one pass over the fetchers. */
export async function runPass(deps: PassDeps): Promise<PassResult> {
  const failures: FetcherFailure[] = [];
  // A function, not a property read: the signal changes while we await (TS would narrow a read).
  const aborted = (): boolean => deps.signal.aborted;
  const fail = async (fetcher: string, err: unknown, what: string): Promise<void> => {
    const e = toSztpError(err, 'SZTP_ERR_INTERNAL');
    failures.push({ fetcher, code: e.code, message: e.message });
    deps.log.warn({ fetcher, code: e.code, err: e }, `${what} failed: ${e.message}`);
    const message = e.message.startsWith(`${fetcher}:`) ? e.message : `${fetcher}: ${e.message}`;
    await deps.store.update((s) => withError(s, e.code, message, deps.now()));
  };
  for (const fetcher of deps.fetchers) {
    if (aborted()) return { kind: 'aborted' };
    deps.log.info({ fetcher: fetcher.name }, `trying fetcher ${fetcher.name}`);
    let source: OnboardingSource;
    const budget = deps.fetcherBudgetMs === undefined ? undefined : AbortSignal.timeout(deps.fetcherBudgetMs);
    const signal = budget === undefined ? deps.signal : AbortSignal.any([deps.signal, budget]);
    try {
      const context: FetchContext = { ...deps.context, signal, runSignal: deps.signal };
      source = await untilAborted(fetcher.fetch(context), signal, deps.log, deps.cleanupWaitMs ?? CLEANUP_WAIT_MS);
    } catch (err) {
      if (aborted()) return { kind: 'aborted' };
      const timedOut =
        budget?.aborted === true
          ? new SztpError(
              'SZTP_ERR_FETCHER_TIMEOUT',
              `${fetcher.name}: no result within fetcher_budget_seconds (${(deps.fetcherBudgetMs ?? 0) / 1000} s)`,
              { cause: err },
            )
          : err;
      await fail(fetcher.name, timedOut, `fetcher ${fetcher.name}`);
      continue;
    }
    // RFC 8572 §5.6 (C-114): a failed onboarding returns to the enclosing loop: the next address,
    // redirect entry, mount point or interface of the same fetcher (source.next), then the next fetcher.
    for (;;) {
      let keep = false;
      try {
        deps.log.info(
          { fetcher: fetcher.name, source: source.description, signed: source.info.signed },
          'onboarding information found; applying',
        );
        const outcome = await deps.apply(source);
        if (outcome.kind === 'complete') {
          await settle(deps.store, 'bootstrap-complete', source.description);
          return { kind: 'complete', source: source.description };
        }
        await settle(deps.store, 'rebooting', source.description);
        return { kind: 'reboot', source: source.description };
      } catch (err) {
        if (aborted()) return { kind: 'aborted' };
        await fail(fetcher.name, err, `onboarding from ${source.description}`);
        if (toSztpError(err, 'SZTP_ERR_INTERNAL').code === 'SZTP_ERR_SECURE_MODE_OFF') return { kind: 'disabled' };
        keep = source.next !== undefined;
      } finally {
        // A source left through `next` hands what the fetcher holds to its successor.
        if (!keep) await release(source, deps.log);
      }
      const next = source.next;
      if (next === undefined) break;
      deps.log.info(
        { fetcher: fetcher.name, after: source.description },
        'returning to the enclosing loop: next address, entry or medium of this fetcher',
      );
      try {
        source = await untilAborted(next(), deps.signal, deps.log, deps.cleanupWaitMs ?? CLEANUP_WAIT_MS);
      } catch (err) {
        if (aborted()) return { kind: 'aborted' };
        await fail(fetcher.name, err, `fetcher ${fetcher.name} (after a failed onboarding)`);
        break;
      }
    }
  }
  if (aborted()) return { kind: 'aborted' };
  if (failures.length > 0 || deps.fetchers.length === 0) {
    const summary =
      failures.length === 0 ? 'no fetcher is enabled' : failures.map((f) => `${f.fetcher}: ${f.code}`).join('; ');
    await deps.store.update((s) => withError(s, 'SZTP_ERR_NO_SOURCE', summary, deps.now()));
  }
  return { kind: 'none', failures };
}

/** Makes sure the final phase and source are recorded (the applier normally did it already). */
async function settle(store: StateStore, phase: 'bootstrap-complete' | 'rebooting', source: string): Promise<void> {
  await store.update((s) => (s.phase === phase && s.source === source ? s : withPhase(s, phase, source)));
}

/**
 * Fetching only reads, so a stop (SIGTERM, or the fetcher's budget) need not wait for a slow
 * fetcher: the fetcher is aborted through the same signal, and we wait only for its cleanup
 * (removing a DHCP address, unmounting), at most `cleanupMs`, so the process does not exit in the
 * middle of it. A source that still arrives later is released.
 */
async function untilAborted(
  fetching: Promise<OnboardingSource>,
  signal: AbortSignal,
  log: Logger,
  cleanupMs: number,
): Promise<OnboardingSource> {
  const settled = fetching.then(
    (source) => ({ ok: true as const, source }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  const stopped = new Promise<'stopped'>((resolve) => {
    if (signal.aborted) resolve('stopped');
    else
      signal.addEventListener(
        'abort',
        () => {
          resolve('stopped');
        },
        { once: true },
      );
  });
  const first = await Promise.race([settled, stopped]);
  if (first !== 'stopped') {
    if (first.ok) return first.source;
    throw first.err instanceof Error ? first.err : toSztpError(first.err, 'SZTP_ERR_INTERNAL');
  }
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([
    settled,
    new Promise<'late'>((resolve) => {
      timer = setTimeout(() => {
        resolve('late');
      }, cleanupMs);
    }),
  ]);
  clearTimeout(timer);
  if (late === 'late') {
    log.warn({ cleanupMs }, 'a stopped fetcher did not finish its cleanup in time');
    void settled.then((r) => (r.ok ? release(r.source, log) : undefined));
  } else if (late.ok) {
    await release(late.source, log);
  }
  throw new SztpError('SZTP_ERR_ABORTED', 'stopped by signal');
}

async function release(source: OnboardingSource, log: Logger): Promise<void> {
  if (source.release === undefined) return;
  try {
    await source.release();
  } catch (err) {
    const e = toSztpError(err, 'SZTP_ERR_INTERNAL');
    log.warn({ code: e.code, err: e, source: source.description }, 'releasing the source failed');
  }
}
