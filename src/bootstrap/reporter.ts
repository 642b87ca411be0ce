/**
 * `report-progress` towards a TLS-authenticated bootstrap server (RFC 8572 §5.6, §7.3; C-111,
 * C-112, C-116, C-129, T-21). Filters by the server's `reporting-level`, sends reports in order, and
 * sends exactly one terminating report (later ones are dropped; a `bootstrap-error` may still follow a
 * rejected `bootstrap-complete`). `bootstrap-initiated` and `bootstrap-complete` must get 204, else
 * the report rejects with SZTP_ERR_PROGRESS_REPORT; every other report is best effort. Never used
 * for provisional servers (C-113): those get NULL_REPORTER.
 * @module
 */
import type { Logger } from 'pino';
import { SztpError, isSztpError } from '../errors.ts';
import { MINIMAL_PROGRESS_TYPES, TERMINATING_PROGRESS_TYPES, type ProgressType } from '../progress/progress-type.ts';
import type { ProgressEvent, ProgressReporter } from '../progress/reporter.ts';
import type { ReportingLevel } from './reply.ts';
import { MODULE, mapTransportError, postRpc } from './restconf.ts';
import type { ServerConnection } from './tls.ts';

const MANDATORY: ReadonlySet<ProgressType> = new Set<ProgressType>(['bootstrap-initiated', 'bootstrap-complete']);

/** Whether a report of `type` goes to a server asking for `level` (minimal: C-111 plus bootstrap-warning, C-128). */
export function shouldReport(type: ProgressType, level: ReportingLevel): boolean {
  return level === 'verbose' || MINIMAL_PROGRESS_TYPES.has(type) || type === 'bootstrap-warning';
}

/** The report-progress input (RFC 8572 §7.3); host keys and trust anchors only with bootstrap-complete. */
export function progressBody(event: ProgressEvent): string {
  const input: Record<string, unknown> = { 'progress-type': event.progressType };
  if (event.message !== undefined) input.message = event.message;
  if (event.progressType === 'bootstrap-complete') {
    if (event.sshHostKeys !== undefined && event.sshHostKeys.length > 0) {
      input['ssh-host-keys'] = {
        'ssh-host-key': event.sshHostKeys.map((k) => ({
          algorithm: k.algorithm,
          'key-data': Buffer.from(k.keyData).toString('base64'),
        })),
      };
    }
    if (event.trustAnchorCerts !== undefined && event.trustAnchorCerts.length > 0) {
      input['trust-anchor-certs'] = {
        'trust-anchor-cert': event.trustAnchorCerts.map((c) => Buffer.from(c).toString('base64')),
      };
    }
  }
  return JSON.stringify({ [`${MODULE}:input`]: input });
}

export interface ServerReporterDeps {
  /** Opens a fresh connection to the same server with the same TLS trust as the bootstrapping exchange. */
  readonly open: () => ServerConnection;
  /** Activation-code `Authorization` header (reports go only to authenticated servers). */
  readonly authorization?: string;
  readonly root: string;
  readonly level: ReportingLevel;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly description: string;
}

export function createServerReporter(deps: ServerReporterDeps): ProgressReporter {
  let terminated = false;
  let queue: Promise<unknown> = Promise.resolve();

  const send = async (event: ProgressEvent): Promise<void> => {
    const type = event.progressType;
    if (terminated || !shouldReport(type, deps.level)) return;
    const mandatory = MANDATORY.has(type);
    const conn = deps.open();
    let error: SztpError | undefined;
    try {
      const reply = await postRpc(
        conn,
        deps.root,
        'report-progress',
        progressBody(event),
        deps.signal,
        deps.authorization,
      );
      if (reply.status !== 204) {
        error = new SztpError(
          'SZTP_ERR_PROGRESS_REPORT',
          `report-progress ${type} to ${deps.description}: HTTP ${reply.status}, expected 204`,
          {
            evidence: { progressType: type, status: reply.status },
          },
        );
      }
    } catch (err) {
      const cause = isSztpError(err) ? err : mapTransportError(err, 'report-progress');
      error = new SztpError(
        'SZTP_ERR_PROGRESS_REPORT',
        `report-progress ${type} to ${deps.description} failed: ${cause.message}`,
        {
          cause,
          evidence: { progressType: type, cause: cause.code },
        },
      );
    } finally {
      await conn.close().catch(() => undefined);
    }
    if (TERMINATING_PROGRESS_TYPES.has(type) && !(type === 'bootstrap-complete' && error !== undefined))
      terminated = true;
    if (error === undefined) {
      deps.log.debug({ progressType: type, server: deps.description }, 'progress reported');
      return;
    }
    if (mandatory) throw error;
    deps.log.warn({ err: error.toJSON() }, 'best-effort progress report failed');
  };

  return {
    report(event: ProgressEvent): Promise<void> {
      const next = queue.then(() => send(event));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
