/**
 * Progress events of one onboarding attempt (RFC 8572 §5.6, §7 progress-type). Every event goes
 * to three places: the state store's `events` (always, verbose), a log line, and the source's
 * reporter (a trusted bootstrap server filters by its reporting-level itself; other sources have
 * a no-op reporter, C-113). Only `bootstrap-initiated` and `bootstrap-complete` may reject
 * (C-116, C-129); every other report is best effort.
 * @module
 */
import type { Logger } from 'pino';
import type { OnboardingSource } from '../contracts/fetch.ts';
import type { ProgressType } from '../progress/progress-type.ts';
import type { ProgressEvent } from '../progress/reporter.ts';
import { withEvent } from '../state/machine.ts';
import type { RecordedEvent, StateStore } from '../state/types.ts';

/** Longest message recorded or reported (script output is cut to this). */
export const MAX_MESSAGE_CHARS = 8192;

const MANDATORY: ReadonlySet<ProgressType> = new Set<ProgressType>(['bootstrap-initiated', 'bootstrap-complete']);

export interface ProgressDeps {
  readonly store: StateStore;
  readonly log: Logger;
  readonly now: () => Date;
}

export interface Progress {
  /** Records and reports one event; rejects only for a failed mandatory report. */
  emit(
    progressType: ProgressType,
    message?: string,
    extra?: Pick<ProgressEvent, 'sshHostKeys' | 'trustAnchorCerts'>,
  ): Promise<void>;
}

export function clip(message: string): string {
  return message.length <= MAX_MESSAGE_CHARS ? message : `${message.slice(0, MAX_MESSAGE_CHARS)}… [truncated]`;
}

export function createProgress(
  source: Pick<OnboardingSource, 'description' | 'reporter'>,
  deps: ProgressDeps,
): Progress {
  return {
    async emit(progressType, message, extra = {}): Promise<void> {
      const text = message === undefined ? undefined : clip(message);
      const recorded: RecordedEvent = {
        progressType,
        time: deps.now().toISOString(),
        source: source.description,
        ...(text === undefined ? {} : { message: text }),
      };
      await deps.store.update((s) => withEvent(s, recorded));
      const level = progressType.endsWith('-error') ? 'error' : progressType.endsWith('-warning') ? 'warn' : 'info';
      deps.log[level]({ progressType, source: source.description }, text ?? progressType);
      const event: ProgressEvent = { progressType, ...(text === undefined ? {} : { message: text }), ...extra };
      if (MANDATORY.has(progressType)) {
        await source.reporter.report(event);
        return;
      }
      try {
        await source.reporter.report(event);
      } catch (err) {
        deps.log.warn({ err, progressType }, 'progress report failed (best effort, continuing)');
      }
    },
  };
}
