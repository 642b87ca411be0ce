/**
 * One GET of a boot image over node:tls (https) or node:net (http), read with a static buffer
 * (`onread`) and our HTTP/1.1 response reader (./response-reader.ts) instead of node:https: per
 * 16 kB TLS record, one callback and one copy into the sink's slab, where node:https allocated a
 * buffer and ran its HTTP parser and two streams (about 0.5 s of CPU per GiB, and a garbage
 * collector to pace; bench/download.ts). RFC 8572 §5.6 step 3 (C-141): the server is not authenticated
 * (integrity comes from the hash) and is sent nothing about the device: no client certificate, no
 * credentials, only the request line, Host, the caller's Range/Accept-Encoding and Connection:
 * close. The head is checked by the caller (`onHead`: status, Content-Range, size cap, free space)
 * before any body byte reaches the sink; body bytes that arrive meanwhile wait in a bounded buffer.
 * Deadlines: `idleTimeoutMs` of socket inactivity (name lookup, connect, TLS, head and body), and
 * the abort signal (SIGTERM, the total deadline). Errors are SztpErrors: a malformed response
 * (evidence `why`), a connection lost or stalled after the head (evidence `dropped`: resumable),
 * or before it.
 * @module
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { SztpError, isSztpError, toSztpError } from '../errors.ts';
import { errnoOf, messageOf } from '../lib/error-info.ts';
import { serializeRequest, type Head } from '../lib/http1.ts';
import { ResponseReader } from './response-reader.ts';

/** Header section limit, as undici's default. */
const MAX_HEADER_BYTES = 16 * 1024;
/** Socket reads land here (node's TLS layer hands over at most one 16 kB record per callback). */
const READ_BUFFER_BYTES = 64 * 1024;
/** Body bytes held while the caller checks the head (a few TLS records in practice). */
const MAX_HELD_BYTES = 4 * 1024 * 1024;

/** Where the body goes (the download sink). */
export interface BodyTarget {
  /** Takes the bytes in full; false when it wants a pause until `onDrain`. May throw (cap, write error). */
  append(buf: Uint8Array, start: number, end: number): boolean;
  onDrain(cb: () => void): void;
}

export interface GetOptions {
  readonly idleTimeoutMs: number;
  readonly signal: AbortSignal;
  /** Extra request header fields (Range, Accept-Encoding). */
  readonly headers: Readonly<Record<string, string>>;
  /** Checks the final head before any body byte is handed on; a rejection ends the transfer. */
  readonly onHead: (head: Head) => Promise<void>;
}

/** The error for a malformed response from `uri` (`why` is a fixed phrase, never server text). */
function malformed(uri: string): (why: string) => SztpError {
  return (why) =>
    new SztpError('SZTP_ERR_DOWNLOAD_FAILED', `${uri}: malformed HTTP response: ${why}`, {
      evidence: { uri, why },
    });
}

/** The error for an aborted transfer: the total deadline, or the agent stopping. */
function abortError(uri: string, signal: AbortSignal, cause?: unknown): SztpError {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === 'TimeoutError'
    ? new SztpError('SZTP_ERR_DOWNLOAD_TIMEOUT', `${uri}: total download deadline exceeded`, {
        cause: cause ?? reason,
        evidence: { uri },
      })
    : new SztpError('SZTP_ERR_ABORTED', `${uri}: download aborted`, { cause: cause ?? reason });
}

/** The connection target of an http(s) URL; refuses credentials (never sent to an unauthenticated server). */
function endpoint(url: URL, uri: string): { host: string; port: number; tls: boolean; servername?: string } {
  if (url.username !== '' || url.password !== '') {
    throw new SztpError(
      'SZTP_ERR_DOWNLOAD_URI',
      `${uri.replace(/\/\/[^@/]*@/, '//')}: credentials in a download-uri are not sent (the image server is not authenticated)`,
      { evidence: { uri: uri.replace(/\/\/[^@/]*@/, '//') } },
    );
  }
  const tls = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? (tls ? 443 : 80) : Number(url.port);
  return isIP(host) === 0 && tls ? { host, port, tls, servername: host } : { host, port, tls };
}

/** GETs `url` and streams its body into `target`; resolves once the body is complete. */
export function getInto(url: URL, uri: string, target: BodyTarget, o: GetOptions): Promise<void> {
  const bad = malformed(uri);
  let request: Uint8Array;
  let where: ReturnType<typeof endpoint>;
  try {
    where = endpoint(url, uri);
    request = serializeRequest(
      url.host,
      { method: 'GET', path: `${url.pathname}${url.search}`, headers: o.headers },
      bad,
    );
  } catch (err) {
    return Promise.reject(toSztpError(err, 'SZTP_ERR_DOWNLOAD_URI'));
  }
  if (o.signal.aborted) return Promise.reject(abortError(uri, o.signal));
  return new Promise<void>((resolve, reject) => {
    const reader = new ResponseReader(MAX_HEADER_BYTES, bad);
    /** 'head': reading the head; 'check': the caller is checking it; 'body': bytes go to the target. */
    let phase: 'head' | 'check' | 'body' = 'head';
    let ended = false;
    let settled = false;
    let paused = false;
    const held: Buffer[] = [];
    let heldBytes = 0;

    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      o.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err === undefined) resolve();
      else reject(toError(err));
    };
    const toError = (err: unknown): Error => {
      if (o.signal.aborted) return abortError(uri, o.signal, err);
      if (isSztpError(err)) return err;
      const cause = errnoOf(err) ?? messageOf(err);
      return phase === 'body'
        ? new SztpError('SZTP_ERR_DOWNLOAD_FAILED', `${uri}: connection lost: ${cause}`, {
            cause: err,
            evidence: { uri, cause, dropped: true },
          })
        : new SztpError('SZTP_ERR_DOWNLOAD_FAILED', `${uri}: ${cause}`, { cause: err, evidence: { uri, cause } });
    };
    const onAbort = (): void => {
      finish(abortError(uri, o.signal));
    };
    const pause = (): void => {
      if (paused) return;
      paused = true;
      socket.pause();
      target.onDrain(() => {
        paused = false;
        if (!settled) socket.resume();
      });
    };
    const onBody = (buf: Buffer, start: number, end: number): void => {
      if (phase === 'body') {
        if (!target.append(buf, start, end)) pause();
        return;
      }
      heldBytes += end - start;
      if (heldBytes > MAX_HELD_BYTES) throw bad('too much body before the head was checked');
      held.push(Buffer.from(buf.subarray(start, end)));
    };
    const afterFeed = (): void => {
      if (phase === 'head' && reader.head !== undefined) {
        phase = 'check';
        socket.pause();
        const head = reader.head;
        o.onHead(head).then(() => {
          if (settled) return;
          phase = 'body';
          const pending = held.splice(0);
          try {
            for (const b of pending) if (!target.append(b, 0, b.length)) pause();
          } catch (err) {
            finish(err);
            return;
          }
          if (reader.complete || ended) {
            finish(reader.end() === 'complete' ? undefined : lost());
            return;
          }
          if (!paused) socket.resume();
        }, finish);
        return;
      }
      if (phase === 'body' && reader.complete) finish();
    };
    const lost = (): SztpError =>
      phase === 'head'
        ? new SztpError('SZTP_ERR_DOWNLOAD_FAILED', `${uri}: connection closed before a complete response head`, {
            evidence: { uri, cause: 'closed' },
          })
        : new SztpError('SZTP_ERR_DOWNLOAD_FAILED', `${uri}: connection closed before the end of the body`, {
            evidence: { uri, cause: 'closed', dropped: true },
          });

    const readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
    const options = {
      host: where.host,
      port: where.port,
      onread: {
        buffer: readBuffer,
        callback: (n: number): boolean => {
          if (settled) return false;
          try {
            reader.feed(readBuffer, 0, n, onBody);
            afterFeed();
          } catch (err) {
            finish(err);
          }
          return true;
        },
      },
    };
    const socket: Socket = where.tls
      ? tlsConnect({
          ...options,
          ...(where.servername === undefined ? {} : { servername: where.servername }),
          rejectUnauthorized: false,
          minVersion: 'TLSv1.2',
        })
      : netConnect(options);
    socket.setTimeout(o.idleTimeoutMs, () => {
      // A stall in the body is a lost connection too (resumable); before it, the server is not answering.
      finish(
        new SztpError(
          'SZTP_ERR_DOWNLOAD_TIMEOUT',
          `${uri}: no data within the idle deadline of ${o.idleTimeoutMs} ms`,
          { evidence: phase === 'body' ? { uri, dropped: true } : { uri } },
        ),
      );
    });
    socket.once(where.tls ? 'secureConnect' : 'connect', () => {
      socket.write(request);
    });
    socket.on('error', finish);
    socket.on('end', () => {
      ended = true;
      if (phase === 'check') return; // the check's continuation sees `ended`
      finish(reader.end() === 'complete' ? undefined : lost());
    });
    socket.on('close', () => {
      // A close without 'end' or 'error' (destroyed under us): never leave the caller waiting.
      ended = true;
      if (!settled && phase !== 'check') finish(lost());
    });
    o.signal.addEventListener('abort', onAbort, { once: true });
  });
}
