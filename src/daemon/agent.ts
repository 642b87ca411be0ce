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
  | { readonly kind: 'aborted' };

export interface PassDeps {
  /** Enabled fetchers, already in priority order. */
  readonly fetchers: readonly Fetcher[];
  readonly context: FetchContext;
  readonly apply: (source: OnboardingSource) => Promise<ApplyOutcome>;
  readonly store: StateStore;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly now: () => Date;
}

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
    try {
      source = await untilAborted(fetcher.fetch(deps.context), deps.signal, deps.log);
    } catch (err) {
      if (aborted()) return { kind: 'aborted' };
      await fail(fetcher.name, err, `fetcher ${fetcher.name}`);
      continue;
    }
    // RFC 8572 §5.6 (C-114): a failed onboarding returns to the enclosing loop: the next address,
    // redirect entry, mount point or interface of the same fetcher (source.next), then the next fetcher.
    for (;;) {
      let keep = false;
      try {
        deps.log.info({ fetcher: fetcher.name, source: source.description, signed: source.info.signed }, 'onboarding information found; applying');
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
        keep = source.next !== undefined;
      } finally {
        // A source left through `next` hands what the fetcher holds to its successor.
        if (!keep) await release(source, deps.log);
      }
      const next = source.next;
      if (next === undefined) break;
      deps.log.info({ fetcher: fetcher.name, after: source.description }, 'returning to the enclosing loop: next address, entry or medium of this fetcher');
      try {
        source = await untilAborted(next(), deps.signal, deps.log);
      } catch (err) {
        if (aborted()) return { kind: 'aborted' };
        await fail(fetcher.name, err, `fetcher ${fetcher.name} (after a failed onboarding)`);
        break;
      }
    }
  }
  if (aborted()) return { kind: 'aborted' };
  if (failures.length > 0 || deps.fetchers.length === 0) {
    const summary = failures.length === 0 ? 'no fetcher is enabled' : failures.map((f) => `${f.fetcher}: ${f.code}`).join('; ');
    await deps.store.update((s) => withError(s, 'SZTP_ERR_NO_SOURCE', summary, deps.now()));
  }
  return { kind: 'none', failures };
}

/** Makes sure the final phase and source are recorded (the applier normally did it already). */
async function settle(store: StateStore, phase: 'bootstrap-complete' | 'rebooting', source: string): Promise<void> {
  await store.update((s) => (s.phase === phase && s.source === source ? s : withPhase(s, phase, source)));
}

/**
 * Fetching only reads, so a stop signal need not wait for a slow fetcher (e.g. a DHCP timeout):
 * stop waiting at once; a source that still arrives later is released.
 */
function untilAborted(fetching: Promise<OnboardingSource>, signal: AbortSignal, log: Logger): Promise<OnboardingSource> {
  if (signal.aborted) {
    void fetching.then((late) => release(late, log), () => undefined);
    return Promise.reject(new SztpError('SZTP_ERR_ABORTED', 'stopped by signal'));
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      void fetching.then((late) => release(late, log), () => undefined);
      reject(new SztpError('SZTP_ERR_ABORTED', 'stopped by signal'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    fetching.then(
      (source) => { signal.removeEventListener('abort', onAbort); resolve(source); },
      (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err instanceof Error ? err : toSztpError(err, 'SZTP_ERR_INTERNAL')); },
    );
  });
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
