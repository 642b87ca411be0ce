/**
 * One http/https mirror of a boot image (RFC 8572 §5.6 step 3, C-141): no server authentication
 * (integrity comes from the hash), no HTTP redirects followed (only listed URIs are contacted,
 * C-120), Content-Length checked against the size cap and free space up front, and after a
 * dropped connection a bounded number of `Range: bytes=N-` resumes (206 + Content-Range checked;
 * a 200 restarts from zero). Idle deadline via undici body/headers timeouts, total deadline via the
 * abort signal.
 * @module
 */
import { Agent, request, type Dispatcher } from 'undici';
import { SztpError, isSztpError } from '../errors.ts';
import type { HashingSink } from './sink.ts';

export interface HttpFetchOptions {
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
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
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err).code) : '';
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    const timeout = reason instanceof Error && reason.name === 'TimeoutError';
    return timeout
      ? new SztpError('SZTP_ERR_DOWNLOAD_TIMEOUT', `${uri}: total download deadline exceeded`, { cause: err, evidence: { uri } })
      : new SztpError('SZTP_ERR_ABORTED', `${uri}: download aborted`, { cause: err });
  }
  if (code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new SztpError('SZTP_ERR_DOWNLOAD_TIMEOUT', `${uri}: no data within the idle deadline (${code})`, { cause: err, evidence: { uri } });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SztpError('SZTP_ERR_DOWNLOAD_FAILED', `${uri}: ${code || message}`, { cause: err, evidence: { uri, cause: code || message } });
}

/** A connection dropped mid-body (resumable), as opposed to a timeout, cap or HTTP error. */
function isDrop(e: SztpError): boolean {
  return e.code === 'SZTP_ERR_DOWNLOAD_FAILED' && e.evidence?.status === undefined;
}

async function once(uri: string, sink: HashingSink, dispatcher: Dispatcher, o: HttpFetchOptions, first: boolean): Promise<void> {
  const offset = sink.bytes;
  const res = await request(uri, {
    dispatcher, method: 'GET', signal: o.signal,
    headers: offset > 0 ? { range: `bytes=${offset}-`, 'accept-encoding': 'identity' } : { 'accept-encoding': 'identity' },
  });
  try {
    const length = headerNumber(res.headers['content-length']);
    if (offset > 0 && res.statusCode === 206) {
      const range = res.headers['content-range'];
      if (typeof range !== 'string' || !range.startsWith(`bytes ${offset}-`)) {

        throw new SztpError('SZTP_ERR_DOWNLOAD_TRUNCATED', `${uri}: resume answered with Content-Range ${String(range)}`, { evidence: { uri, status: 206 } });
      }
    } else if (res.statusCode === 200) {
      if (offset > 0) await sink.reset();
    } else {

      throw new SztpError('SZTP_ERR_DOWNLOAD_FAILED', `${uri}: HTTP ${res.statusCode}`, { evidence: { uri, status: res.statusCode } });
    }
    if (length !== undefined) {
      if (sink.bytes + length > Number.MAX_SAFE_INTEGER) throw new SztpError('SZTP_ERR_DOWNLOAD_TOO_LARGE', `${uri}: absurd Content-Length`);
      await sink.checkCap(sink.bytes + length, uri);
      if (first || res.statusCode === 200) await o.onSize(length);
    }
    for await (const chunk of res.body) await sink.write(chunk as Buffer);
  } catch (err) {
    res.body.on('error', () => undefined);
    res.body.destroy();
    throw err;
  }
}

/** Downloads `uri` into `sink`, resuming after drops. */
export async function fetchHttp(uri: string, sink: HashingSink, o: HttpFetchOptions): Promise<void> {
  const agent = new Agent({
    connect: { rejectUnauthorized: false, minVersion: 'TLSv1.2', timeout: o.connectTimeoutMs },
    headersTimeout: o.idleTimeoutMs,
    bodyTimeout: o.idleTimeoutMs,
  });
  try {
    for (let attempt = 0; ; attempt++) {
      const before = sink.bytes;
      try {
        await once(uri, sink, agent, o, attempt === 0);
        return;
      } catch (err) {
        const e = mapError(err, uri, o.signal);
        // Only a connection that dropped after delivering data is resumed; anything else fails the mirror.
        if (!isDrop(e) || sink.bytes === before) {
          if (sink.bytes > 0 && isDrop(e)) {
            throw new SztpError('SZTP_ERR_DOWNLOAD_TRUNCATED', `${uri}: transfer dropped after ${sink.bytes} bytes and could not be resumed`, { cause: e, evidence: { uri, bytes: sink.bytes } });
          }
          throw e;
        }
        if (attempt >= o.maxResumes) {
          throw new SztpError('SZTP_ERR_DOWNLOAD_TRUNCATED', `${uri}: connection dropped after ${sink.bytes} bytes; ${o.maxResumes} resumes exhausted`, {
            cause: e, evidence: { uri, bytes: sink.bytes },
          });
        }
        o.onResume?.(sink.bytes, attempt + 1);
      }
    }
  } finally {
    await agent.destroy().catch(() => undefined);
  }
}
