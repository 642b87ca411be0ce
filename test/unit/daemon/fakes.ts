/**
 * Fakes for daemon unit tests: fetchers that fail with a code or return a source, a capturing
 * pino logger, and a minimal FetchContext.
 * @module
 */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { defaultConfig } from '../../../src/config/load.ts';
import type { AgentConfig } from '../../../src/config/types.ts';
import { SztpError, type SztpErrorCode } from '../../../src/errors.ts';
import type { Fetcher, FetchContext, FetcherName, OnboardingSource } from '../../../src/contracts/fetch.ts';
import { NULL_REPORTER } from '../../../src/progress/reporter.ts';

export function captureLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

export function fakeSource(fetcher: FetcherName, onRelease?: () => void): OnboardingSource {
  return {
    fetcher,
    description: `fake:${fetcher}`,
    info: { signed: true, json: {}, digest: 'ab'.repeat(32), kind: 'onboarding-information', onboarding: {} },
    reporter: NULL_REPORTER,
    trustedServer: false,
    ...(onRelease === undefined
      ? {}
      : {
          release: () => {
            onRelease();
            return Promise.resolve();
          },
        }),
  };
}

/** A fetcher that records its calls and fails with `code` (or returns a source when code is undefined). */
export function fakeFetcher(
  name: FetcherName,
  calls: string[],
  code?: SztpErrorCode | 'plain',
  onRelease?: () => void,
): Fetcher {
  return {
    name,
    fetch: () => {
      calls.push(name);
      if (code === 'plain') return Promise.reject(new TypeError(`${name} blew up`));
      if (code !== undefined) return Promise.reject(new SztpError(code, `${name}: failed`));
      return Promise.resolve(fakeSource(name, onRelease));
    },
  };
}

export function testConfig(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return { ...defaultConfig('/tmp'), ...overrides };
}

export function fakeContext(config: AgentConfig, log: Logger, signal: AbortSignal): FetchContext {
  return {
    config,
    log,
    signal,
    identity: { serialNumber: 'SN1', hwModel: 'hw', osName: 'os', osVersion: '1' },
    bootstrapTrustAnchors: [],
    trustContext: () => ({
      voucherTrustAnchors: [],
      serialNumber: 'SN1',
      now: new Date(),
      policy: { acceptedAssertions: ['verified'], clockTrusted: true },
    }),
    validate: () => Promise.reject(new SztpError('SZTP_ERR_FETCHER_UNAVAILABLE', 'no')),
    bootstrap: { followRedirect: () => Promise.reject(new SztpError('SZTP_ERR_FETCHER_UNAVAILABLE', 'no')) },
    now: () => new Date(),
  };
}
