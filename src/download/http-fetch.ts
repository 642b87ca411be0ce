/**
 * One http/https mirror of a boot image (RFC 8572 §5.6 step 3, C-141): no server authentication
 * (integrity comes from the hash), no HTTP redirects followed (only listed URIs are contacted,
 * C-120), Content-Length checked against the size cap and free space up front, and after a
 * dropped connection a bounded number of `Range: bytes=N-` resumes (206 + Content-Range checked;
 * a 200 restarts from zero). node:https rather than undici here: it keeps the peak RSS of a
 * multi-GB transfer lower (bench/download.ts). Idle deadline = socket inactivity, total deadline =
 * the abort signal.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { SztpError, isSztpError } from '../errors.ts';
import type { HashingSink } from './sink.ts';
import { errnoOf, messageOf } from '../lib/error-info.ts';

export interface HttpFetchOptions {
  readonly idleTimeoutMs: number;
  readonly maxResumes: number;
  readonly signal: AbortSignal;
  /** Called once the total size is known (Content-Length of the first reply): free-space check. */
  readonly onSize: (remainingBytes: number) => Promise<void>;
  readonly onResume?: (offset: number, attempt: number) => void;
}

function headerNumber(v: string | string[] | undefined): number | undefined {
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

function mapError(err: unknown, uri: string, signal: AbortSignal): SztpError {
  if (isSztpError(err)) return err;
  const code = errnoOf(err) ?? '';
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    const timeout = reason instanceof Error && reason.name === 'TimeoutError';
    return timeout
      ? new SztpError('SZTP_ERR_DOWNLOAD_TIMEOUT', `${uri}: total download deadline exceeded`, {
          cause: err,
          evidence: { uri },
        })
      : new SztpError('SZTP_ERR_ABORTED', `${uri}: download aborted`, { cause: err });
  }
  const message = messageOf(err);
  return new SztpError('SZTP_ERR_DOWNLOAD_FAILED', `${uri}: ${code || message}`, {
    cause: err,
    evidence: { uri, cause: code || message },
  });
}

/** A connection dropped mid-body (resumable), as opposed to a timeout, cap or HTTP error. */
function isDrop(e: SztpError): boolean {
  return e.code === 'SZTP_ERR_DOWNLOAD_FAILED' && e.evidence?.status === undefined;
}

interface Attempt {
  timedOut: boolean;
}

/** One GET without redirects; idle deadline = socket inactivity (connect, headers and body). */
function get(
  uri: string,
  headers: Record<string, string>,
  o: HttpFetchOptions,
  attempt: Attempt,
): Promise<IncomingMessage> {
  const url = new URL(uri);
  const fn = url.protocol === 'https:' ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    const req = fn(
      url,
      {
        headers,
        signal: o.signal,
        agent: false,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
        timeout: o.idleTimeoutMs,
      },
      resolve,
    );
    req.on('timeout', () => {
      attempt.timedOut = true;
      req.destroy(
        new SztpError(
          'SZTP_ERR_DOWNLOAD_TIMEOUT',
          `${uri}: no data within the idle deadline of ${o.idleTimeoutMs} ms`,
          { evidence: { uri } },
        ),
      );
    });
    req.on('error', reject);
  });
}

async function once(
  uri: string,
  sink: HashingSink,
  o: HttpFetchOptions,
  first: boolean,
  attempt: Attempt,
): Promise<void> {
  const offset = sink.bytes;
  const res = await get(
    uri,
    offset > 0 ? { range: `bytes=${offset}-`, 'accept-encoding': 'identity' } : { 'accept-encoding': 'identity' },
    o,
    attempt,
  );
  const statusCode = res.statusCode ?? 0;
  try {
    const length = headerNumber(res.headers['content-length']);
    if (offset > 0 && statusCode === 206) {
      const range = res.headers['content-range'];
      if (typeof range !== 'string' || !range.startsWith(`bytes ${offset}-`)) {
        throw new SztpError(
          'SZTP_ERR_DOWNLOAD_TRUNCATED',
          `${uri}: resume answered with Content-Range ${String(range)}`,
          { evidence: { uri, status: 206 } },
        );
      }
    } else if (statusCode === 200) {
      if (offset > 0) await sink.reset();
    } else {
      throw new SztpError('SZTP_ERR_DOWNLOAD_FAILED', `${uri}: HTTP ${statusCode}`, {
        evidence: { uri, status: statusCode },
      });
    }
    if (length !== undefined) {
      if (sink.bytes + length > Number.MAX_SAFE_INTEGER)
        throw new SztpError('SZTP_ERR_DOWNLOAD_TOO_LARGE', `${uri}: absurd Content-Length`);
      await sink.checkCap(sink.bytes + length, uri);
      if (first || statusCode === 200) await o.onSize(length);
    }
    await sink.pump(res);
  } catch (err) {
    res.on('error', () => undefined);
    res.destroy();
    throw err;
  }
}

/** Downloads `uri` into `sink`, resuming after drops. */
export async function fetchHttp(uri: string, sink: HashingSink, o: HttpFetchOptions): Promise<void> {
  for (let n = 0; ; n++) {
    const before = sink.bytes;
    const attempt: Attempt = { timedOut: false };
    try {
      await once(uri, sink, o, n === 0, attempt);
      return;
    } catch (err) {
      const e =
        attempt.timedOut && !isSztpError(err)
          ? new SztpError('SZTP_ERR_DOWNLOAD_TIMEOUT', `${uri}: no data within the idle deadline`, {
              cause: err,
              evidence: { uri },
            })
          : mapError(err, uri, o.signal);
      // Only a connection that dropped after delivering data is resumed; anything else fails the mirror.
      if (!isDrop(e) || sink.bytes === before) {
        if (sink.bytes > 0 && isDrop(e)) {
          throw new SztpError(
            'SZTP_ERR_DOWNLOAD_TRUNCATED',
            `${uri}: transfer dropped after ${sink.bytes} bytes and could not be resumed`,
            { cause: e, evidence: { uri, bytes: sink.bytes } },
          );
        }
        throw e;
      }
      if (n >= o.maxResumes) {
        throw new SztpError(
          'SZTP_ERR_DOWNLOAD_TRUNCATED',
          `${uri}: connection dropped after ${sink.bytes} bytes; ${o.maxResumes} resumes exhausted`,
          {
            cause: e,
            evidence: { uri, bytes: sink.bytes },
          },
        );
      }
      o.onResume?.(sink.bytes, n + 1);
    }
  }
}
