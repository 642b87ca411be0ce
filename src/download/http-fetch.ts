/**
 * One http/https mirror of a boot image (RFC 8572 §5.6 step 3, C-141): no server authentication
 * (integrity comes from the hash), no HTTP redirects followed (only listed URIs are contacted,
 * C-120), Content-Length checked against the size cap and free space before the body, and after a
 * connection dropped or stalled (idle deadline) in the body, a bounded number of `Range: bytes=N-`
 * resumes (206 + Content-Range checked; a 200 restarts from zero). The transport is ./http-get.ts. Idle deadline = socket inactivity,
 * total deadline = the abort signal.
 * @module
 */
import { SztpError } from '../errors.ts';
import { contentLength, type Head } from '../lib/http1.ts';
import { getInto } from './http-get.ts';
import type { HashingSink } from './sink.ts';

export interface HttpFetchOptions {
  readonly idleTimeoutMs: number;
  readonly maxResumes: number;
  readonly signal: AbortSignal;
  /** Called once the total size is known (Content-Length of the first reply): free-space check. */
  readonly onSize: (remainingBytes: number) => Promise<void>;
  readonly onResume?: (offset: number, attempt: number) => void;
}

/** A connection lost or stalled in the body (resumable), as opposed to a cap, HTTP or framing error. */
function isDrop(e: unknown): e is SztpError {
  return e instanceof SztpError && e.evidence?.dropped === true;
}

function single(head: Head, name: string): string | undefined {
  const v = head.headers.get(name);
  return v?.length === 1 ? v[0] : undefined;
}

/** One GET from the sink's current length: the head is checked before any body byte is taken. */
function once(uri: string, url: URL, sink: HashingSink, o: HttpFetchOptions, first: boolean): Promise<void> {
  const offset = sink.bytes;
  const onHead = async (head: Head): Promise<void> => {
    const { status } = head;
    if (offset > 0 && status === 206) {
      const range = single(head, 'content-range');
      if (range === undefined || !range.startsWith(`bytes ${offset}-`)) {
        throw new SztpError(
          'SZTP_ERR_DOWNLOAD_TRUNCATED',
          `${uri}: resume answered with Content-Range ${String(range)}`,
          {
            evidence: { uri, status: 206 },
          },
        );
      }
    } else if (status === 200) {
      if (offset > 0) await sink.reset();
    } else {
      throw new SztpError('SZTP_ERR_DOWNLOAD_FAILED', `${uri}: HTTP ${status}`, { evidence: { uri, status } });
    }
    // The reader has already refused malformed, differing or chunked-and-length values.
    const n = contentLength(head, () => new SztpError('SZTP_ERR_DOWNLOAD_FAILED', `${uri}: bad Content-Length`));
    if (n !== undefined) {
      await sink.checkCap(sink.bytes + n, uri);
      if (first || status === 200) await o.onSize(n);
    }
  };
  const headers: Record<string, string> =
    offset > 0 ? { range: `bytes=${offset}-`, 'accept-encoding': 'identity' } : { 'accept-encoding': 'identity' };
  return getInto(url, uri, sink, { idleTimeoutMs: o.idleTimeoutMs, signal: o.signal, headers, onHead });
}

/** Downloads `uri` into `sink`, resuming after drops. */
export async function fetchHttp(uri: string, sink: HashingSink, o: HttpFetchOptions): Promise<void> {
  const url = new URL(uri);
  for (let n = 0; ; n++) {
    const before = sink.bytes;
    try {
      await once(uri, url, sink, o, n === 0);
      return;
    } catch (e) {
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
        if (e.code === 'SZTP_ERR_DOWNLOAD_TIMEOUT')
          throw new SztpError(
            'SZTP_ERR_DOWNLOAD_TIMEOUT',
            `${uri}: the transfer stalled after ${sink.bytes} bytes; ${o.maxResumes} resumes exhausted`,
            { cause: e, evidence: { uri, bytes: sink.bytes } },
          );
        throw new SztpError(
          'SZTP_ERR_DOWNLOAD_TRUNCATED',
          `${uri}: connection dropped after ${sink.bytes} bytes; ${o.maxResumes} resumes exhausted`,
          { cause: e, evidence: { uri, bytes: sink.bytes } },
        );
      }
      o.onResume?.(sink.bytes, n + 1);
    }
  }
}
