/**
 * Process signals for the daemon: SIGTERM and SIGINT abort the run (the loop and the applier stop
 * between steps; the state is already durable), SIGHUP asks for a ztp.ini reload before the next
 * pass. Handlers are removed by `dispose()` so in-process tests leave no listeners behind.
 * @module
 */

export interface SignalHandling {
  readonly signal: AbortSignal;
  /** True once after each SIGHUP. */
  takeReload(): boolean;
  dispose(): void;
}

export interface SignalSource {
  on(event: NodeJS.Signals, listener: () => void): unknown;
  off(event: NodeJS.Signals, listener: () => void): unknown;
}

/** Installs the handlers on `source` (default: the process). */
export function installSignalHandlers(
  onSignal: (name: NodeJS.Signals) => void = () => undefined,
  source: SignalSource = process,
): SignalHandling {
  const controller = new AbortController();
  let reload = false;
  const stop = (name: NodeJS.Signals) => () => {
    onSignal(name);
    controller.abort(name);
  };
  const onTerm = stop('SIGTERM');
  const onInt = stop('SIGINT');
  const onHup = (): void => {
    onSignal('SIGHUP');
    reload = true;
  };
  source.on('SIGTERM', onTerm);
  source.on('SIGINT', onInt);
  source.on('SIGHUP', onHup);
  return {
    signal: controller.signal,
    takeReload: () => {
      const r = reload;
      reload = false;
      return r;
    },
    dispose: () => {
      source.off('SIGTERM', onTerm);
      source.off('SIGINT', onInt);
      source.off('SIGHUP', onHup);
    },
  };
}

/** Sleeps `ms`, resolving early (false) when `signal` aborts; true when the full time passed. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (full: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(full);
    };
    const onAbort = (): void => {
      done(false);
    };
    const timer = setTimeout(() => {
      done(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
