/**
 * RESTCONF transport to one bootstrap-server connection (RFC 8040 §3.1, §3.6, §7; RFC 8572 §7):
 * host-meta root discovery with `/restconf` fallback, RPC POSTs in `application/yang-data+json`,
 * status handling (3xx never followed, AT-55), `ietf-restconf:errors` decoded into coded errors,
 * and undici/TLS failures mapped onto the SZTP_ERR_SERVER_* codes.
 * @module
 */
import { SztpError, isSztpError } from '../errors.ts';
import { inert } from '../lib/inert-text.ts';
import { parseBootstrappingReply, parseHostMeta, parseRestconfErrors, type BootstrappingReply } from './reply.ts';
import type { HttpReply, ServerConnection } from './tls.ts';
import { errnoOf, messageOf } from '../lib/error-info.ts';

export const MODULE = 'ietf-sztp-bootstrap-server';
const JSON_TYPE = 'application/yang-data+json';
const ACCEPT = `${JSON_TYPE}, application/yang-data+xml`;
export const DEFAULT_ROOT = '/restconf';

const TLS_CODE = /CERT|SSL|TLS|ISSUER|SELF_SIGNED|ALTNAME|HANDSHAKE|UNABLE_TO_/i;

/** Maps a transport failure (connect, TLS, timeouts, size cap) to a catalogue error. */
export function mapTransportError(err: unknown, where: string): SztpError {
  if (isSztpError(err)) return err;
  const code = errnoOf(err) ?? '';
  const message = messageOf(err);
  const evidence = { where, cause: code === '' ? message : code };
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'ETIMEDOUT' ||
    code === 'ABORT_ERR' ||
    (err instanceof Error && err.name === 'TimeoutError')
  ) {
    return new SztpError('SZTP_ERR_SERVER_TIMEOUT', `${where}: timed out (${code || message})`, {
      cause: err,
      evidence,
    });
  }
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return new SztpError('SZTP_ERR_SERVER_RESPONSE', `${where}: reply exceeds the size cap`, { cause: err, evidence });
  }
  if (TLS_CODE.test(code) || /certificate|handshake|ssl|tls alert/i.test(message)) {
    return new SztpError('SZTP_ERR_SERVER_TLS', `${where}: TLS failed (${code || message})`, { cause: err, evidence });
  }
  return new SztpError('SZTP_ERR_SERVER_CONNECT', `${where}: ${code || message}`, { cause: err, evidence });
}

async function send(
  conn: ServerConnection,
  method: 'GET' | 'POST',
  path: string,
  body: string | undefined,
  stop: AbortSignal,
  authorization?: string,
): Promise<HttpReply> {
  const where = `${method} ${conn.origin}${path}`;
  const auth = authorization === undefined ? {} : { authorization };
  // One deadline for the whole exchange (connect + response_timeout_seconds), not only idle timers.
  const deadline = conn.exchangeDeadlineMs === undefined ? undefined : AbortSignal.timeout(conn.exchangeDeadlineMs);
  const signal = deadline === undefined ? stop : AbortSignal.any([stop, deadline]);
  try {
    const reply = await conn.send(
      {
        method,
        path,
        headers:
          body === undefined
            ? { accept: path.startsWith('/.well-known') ? 'application/xrd+xml' : ACCEPT, ...auth }
            : { accept: ACCEPT, 'content-type': JSON_TYPE, ...auth },
        ...(body === undefined ? {} : { body }),
      },
      signal,
    );
    return reply.location === undefined ? reply : { ...reply, location: inert(reply.location) };
  } catch (err) {
    if (deadline?.aborted === true && !stop.aborted) {
      throw new SztpError(
        'SZTP_ERR_SERVER_TIMEOUT',
        `${where}: no complete reply within ${conn.exchangeDeadlineMs ?? 0} ms`,
        {
          cause: err,
          evidence: { where, deadlineMs: conn.exchangeDeadlineMs },
        },
      );
    }
    throw mapTransportError(err, where);
  }
}

/** RFC 8040 §3.1 root discovery; `/restconf` when host-meta is absent or unusable (T-28). */
export async function discoverRoot(conn: ServerConnection, signal: AbortSignal): Promise<string> {
  const reply = await send(conn, 'GET', '/.well-known/host-meta', undefined, signal);
  if (reply.status !== 200) return DEFAULT_ROOT;
  return parseHostMeta(reply.body, conn.origin) ?? DEFAULT_ROOT;
}

/** POSTs one RPC of ietf-sztp-bootstrap-server; `authorization` only towards authenticated servers. */
export function postRpc(
  conn: ServerConnection,
  root: string,
  rpc: string,
  body: string,
  signal: AbortSignal,
  authorization?: string,
): Promise<HttpReply> {
  return send(conn, 'POST', `${root}/operations/${MODULE}:${rpc}`, body, signal, authorization);
}

/** The error for a non-2xx reply: RESTCONF errors decoded when present, 3xx never followed. */
export function statusError(reply: HttpReply, what: string): SztpError {
  const redirect = reply.status >= 300 && reply.status < 400;
  const hint = redirect
    ? ' (HTTP redirects are never followed)'
    : reply.status === 401
      ? ' (the server demands HTTP authentication: [Bootstrap] activation_code)'
      : '';
  const errors = reply.status >= 400 ? parseRestconfErrors(reply.body, reply.contentType) : undefined;
  if (errors !== undefined && errors.length > 0) {
    const tags = errors.map((e) => e.errorTag ?? '?');
    return new SztpError(
      'SZTP_ERR_SERVER_RESTCONF_ERROR',
      `${what}: HTTP ${reply.status} ${tags.join(', ')}${errors[0]?.errorMessage === undefined ? '' : `: ${errors[0].errorMessage}`}${hint}`,
      {
        evidence: { status: reply.status, errorTags: tags, errors },
      },
    );
  }
  return new SztpError('SZTP_ERR_SERVER_HTTP_STATUS', `${what}: HTTP ${reply.status}${hint}`, {
    evidence: { status: reply.status, ...(reply.location === undefined ? {} : { location: reply.location }) },
  });
}

/** Calls get-bootstrapping-data and decodes the 200 reply. */
export async function getBootstrappingData(
  conn: ServerConnection,
  root: string,
  body: string,
  signal: AbortSignal,
  authorization?: string,
): Promise<BootstrappingReply> {
  const reply = await postRpc(conn, root, 'get-bootstrapping-data', body, signal, authorization);
  if (reply.status !== 200) throw statusError(reply, `get-bootstrapping-data at ${conn.origin}`);
  return parseBootstrappingReply(reply.body, reply.contentType);
}
