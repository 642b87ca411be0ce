/**
 * The redirect walker (RFC 8572 §5.3 recursion, §5.5 redirect processing): entries in order
 * (C-100), every resolved address of an entry before the next entry (C-101, T-20), trust anchors
 * honoured only for trusted redirect information (C-102..C-104, T-01, T-30; what a server of each
 * trust may send is decided by `admit`, src/validation/admit.ts), signed data validated
 * every time with the nonce sent (C-070, C-080, T-05), unsigned onboarding refused from provisional
 * servers (C-073). The walk is a lazy sequence of onboarding sources: an error, and also a failed
 * onboarding from a yielded source (the daemon then asks for the next one), moves on to the next
 * address, then the next entry of the same list, then the enclosing list (C-114, §5.6 "return to
 * the enclosing loop").
 *
 * Bounds (untrusted redirect information must not fan out without limit): at most
 * `max_redirect_depth` hops (≤ 10, §5.3; C-072), at most `max_exchanges_per_walk` connection
 * attempts in the whole walk, at most `max_untrusted_redirect_entries` entries used from untrusted
 * redirect information, and a visited set of (address, port, trust anchor, mode) for the WHOLE walk
 * (T-19; one self-redirect that raises trust is allowed, App. B). Validation failures from a
 * trusted server report `bootstrap-initiated` then `parsing-error` (§5.6 order). The activation code
 * (HTTP Basic) goes only over connections that authenticated the server (RFC 8572 §9.6, C-178; a
 * provisional one that turned out trusted is held to that for its later sockets), or over
 * provisional ones when the operator allows it, with a warning.
 * @module
 */
import { createHash } from 'node:crypto';
import { SztpError, isSztpError, toSztpError } from '../errors.ts';
import type { FetchContext, FetcherName, OnboardingSource } from '../contracts/fetch.ts';
import { NULL_REPORTER, type ProgressReporter } from '../progress/reporter.ts';
import type { BootstrapServerEntry, RedirectInformation } from '../types.ts';
import { admit } from '../validation/admit.ts';
import { deviceKeyOf } from '../platform/device-key-file.ts';
import { buildCsr, csrSupportInput, findCsrRequest, idevidCsr, type CsrKeyStore } from './csr.ts';
import { buildBootstrapInput, NONCE_BYTES } from './input.ts';
import { certsFromDegenerateCms } from './pem.ts';
import type { BootstrappingReply, RestconfErrorEntry } from './reply.ts';
import { createServerReporter } from './reporter.ts';
import { discoverRoot, getBootstrappingData } from './restconf.ts';
import {
  originOf,
  type ConnectionSettings,
  type ConnectionTarget,
  type ServerConnection,
  type TlsMode,
} from './tls.ts';

export interface WalkDeps {
  readonly ctx: FetchContext;
  readonly origin: { readonly fetcher: FetcherName; readonly description: string };
  readonly settings: ConnectionSettings;
  /** DER of the configured `bootstrap_trust_anchors` (empty when none). */
  readonly configuredAnchors: readonly Uint8Array[];
  readonly resolve: (host: string) => Promise<readonly string[]>;
  readonly randomBytes: (n: number) => Uint8Array;
  readonly open: (target: ConnectionTarget, mode: TlsMode, settings: ConnectionSettings) => ServerConnection;
  /** Keys generated for RFC 9646 CSRs. */
  readonly csrKeys: CsrKeyStore;
  /** `Authorization` header value carrying the activation code, when one is configured. */
  readonly activation?: { readonly authorization: string; readonly provisional: boolean };
}

interface Exchange {
  readonly reply: BootstrappingReply;
  readonly nonce: Uint8Array | undefined;
  readonly trusted: boolean;
  readonly root: string;
  readonly target: ConnectionTarget;
  /** TLS mode that re-authenticates this server for progress reports. */
  readonly reportMode: TlsMode;
}

/** The activation-code header for one request, or undefined; never to a provisional server unless allowed. */
export function activationHeader(
  deps: Pick<WalkDeps, 'ctx' | 'activation'>,
  conn: ServerConnection,
  trusted: boolean,
): string | undefined {
  const { activation, ctx } = deps;
  if (activation === undefined) return undefined;
  if (trusted) {
    conn.requireTrust();
    return activation.authorization;
  }
  if (activation.provisional) {
    ctx.log.warn(
      { server: conn.origin },
      'sending the activation code to a provisional (unauthenticated) server: activation_code_provisional is set (RFC 8572 §9.6 says never, C-178)',
    );
    return activation.authorization;
  }
  ctx.log.info(
    { server: conn.origin },
    'activation code withheld from a provisional (unauthenticated) server (RFC 8572 §9.6, C-178)',
  );
  return undefined;
}

/** RFC 8572 §5.3: the redirect cap SHOULD be no more than 10; the schema enforces the same bound. */
export const MAX_REDIRECT_DEPTH = 10;

const fingerprint = (der: Uint8Array | undefined): string =>
  der === undefined ? '-' : createHash('sha256').update(der).digest('hex').slice(0, 16);

function summarise(failures: readonly SztpError[], what: string): SztpError {
  if (failures.length === 1 && failures[0] !== undefined) return failures[0];
  return new SztpError(
    'SZTP_ERR_SERVER_EXHAUSTED',
    `${what}: every attempt failed (${failures.map((f) => f.code).join(', ')})`,
    {
      evidence: { failures: failures.map((f) => ({ code: f.code, message: f.message })) },
    },
  );
}

type Sources = AsyncGenerator<OnboardingSource, void, undefined>;

export class RedirectWalker {
  /** Why entries, addresses and hops failed, in order (the error of an exhausted walk). */
  private readonly failures: SztpError[] = [];
  /** Visit keys of the whole walk, not only the ancestors: a server is asked once per walk and trust mode. */
  private readonly visited = new Set<string>();
  private exchanges = 0;
  private stopped: SztpError | undefined;

  constructor(private readonly deps: WalkDeps) {}

  /**
   * The sources of one walk, lazily. Throws (when exhausted) the error that sums up every failure,
   * SZTP_ERR_SERVER_EXHAUSTED when nothing at all could be tried.
   */
  async *walk(redirect: RedirectInformation, trusted: boolean): Sources {
    let yielded = false;
    for await (const s of this.list(redirect, trusted, 0)) {
      yielded = true;
      yield s;
    }
    if (this.stopped !== undefined) throw this.stopped; // aborted, or max_exchanges_per_walk reached
    if (this.failures.length === 0)
      throw new SztpError(
        'SZTP_ERR_SERVER_EXHAUSTED',
        yielded ? 'no further bootstrap server' : 'redirect information lists no bootstrap server',
      );
    throw summarise(this.failures, 'redirect list');
  }

  private fail(e: SztpError): void {
    this.failures.push(e);
    if (e.code === 'SZTP_ERR_ABORTED' || e.code === 'SZTP_ERR_SERVER_BUDGET') this.stopped ??= e;
  }

  /** One redirect list: its entries in order; never throws (failures are recorded). */
  private async *list(redirect: RedirectInformation, trusted: boolean, depth: number): Sources {
    const { ctx } = this.deps;
    const cap = Math.min(ctx.config.bootstrap.maxRedirectDepth, MAX_REDIRECT_DEPTH);
    if (depth > cap) {
      this.fail(
        new SztpError('SZTP_ERR_SERVER_REDIRECT_LOOP', `redirect depth cap ${cap} reached`, { evidence: { depth } }),
      );
      return;
    }
    let entries = redirect.bootstrapServers;
    const most = ctx.config.bootstrap.maxUntrustedRedirectEntries;
    if (!trusted && entries.length > most) {
      ctx.log.warn(
        { listed: entries.length, used: most },
        `untrusted redirect information lists ${entries.length} bootstrap servers; only the first ${most} are used`,
      );
      entries = entries.slice(0, most);
    }
    for (const entry of entries) {
      if (this.stopped !== undefined) return;
      if (ctx.signal.aborted) {
        this.fail(new SztpError('SZTP_ERR_ABORTED', 'bootstrap-server walk aborted'));
        return;
      }
      yield* this.entry(entry, trusted, depth);
    }
  }

  /** One entry: every resolved address in order (C-101), each processed (and recursed) fully. */
  private async *entry(entry: BootstrapServerEntry, trusted: boolean, depth: number): Sources {
    const { ctx } = this.deps;
    let mode: TlsMode;
    if (trusted && entry.trustAnchor !== undefined) {
      mode = { kind: 'pinned', anchors: certsFromDegenerateCms(entry.trustAnchor) };
    } else {
      if (entry.trustAnchor !== undefined)
        ctx.log.info({ address: entry.address }, 'untrusted redirect: trust-anchor discarded (RFC 8572 §5.5)');
      mode = { kind: 'provisional', upgradeAnchors: this.deps.configuredAnchors };
    }
    const origin = originOf(entry.address, entry.port);
    const key = `${entry.address}|${entry.port}|${fingerprint(trusted ? entry.trustAnchor : undefined)}|${mode.kind}`;
    if (this.visited.has(key)) {
      this.fail(
        new SztpError('SZTP_ERR_SERVER_REDIRECT_LOOP', `redirect loop: ${origin} was already visited in this walk`, {
          evidence: { server: origin },
        }),
      );
      return;
    }
    this.visited.add(key);
    let ips: readonly string[];
    try {
      ips = await this.deps.resolve(entry.address);
    } catch (err) {
      this.fail(
        new SztpError('SZTP_ERR_SERVER_CONNECT', `cannot resolve ${entry.address}`, {
          cause: err,
          evidence: { address: entry.address },
        }),
      );
      return;
    }
    if (ips.length === 0)
      this.fail(new SztpError('SZTP_ERR_SERVER_CONNECT', `${entry.address} resolved to no address`));
    for (const ip of ips) {
      if (this.stopped !== undefined) return;
      if (this.exchanges >= ctx.config.bootstrap.maxExchangesPerWalk) {
        this.fail(
          new SztpError(
            'SZTP_ERR_SERVER_BUDGET',
            `${this.exchanges} exchanges in this walk: max_exchanges_per_walk reached, the walk stops`,
            {
              evidence: { exchanges: this.exchanges, server: origin, ip },
            },
          ),
        );
        return;
      }
      this.exchanges += 1;
      let ex: Exchange;
      try {
        ex = await this.exchange(entry, ip, mode);
      } catch (err) {
        const e = toSztpError(err, 'SZTP_ERR_SERVER_CONNECT');
        if (ctx.signal.aborted) {
          this.fail(new SztpError('SZTP_ERR_ABORTED', 'bootstrap-server exchange aborted', { cause: e }));
          return;
        }
        ctx.log.warn(
          { err: e.toJSON(), server: origin, ip },
          'bootstrap server address failed; trying the next address or entry',
        );
        this.fail(e);
        continue;
      }
      yield* this.process(ex, depth);
    }
  }

  /** One connection attempt to one resolved address: host-meta, then get-bootstrapping-data. */
  private async exchange(entry: BootstrapServerEntry, ip: string, mode: TlsMode): Promise<Exchange> {
    const { ctx } = this.deps;
    const target: ConnectionTarget = { address: entry.address, port: entry.port, ip };
    const conn = this.deps.open(target, mode, this.deps.settings);
    try {
      const root = await discoverRoot(conn, ctx.signal);
      const trustedBefore = conn.trusted();
      const { reply, nonce } = await this.request(
        conn,
        root,
        trustedBefore,
        activationHeader(this.deps, conn, trustedBefore),
      );
      const trusted = trustedBefore && conn.trusted();
      const reportMode: TlsMode =
        mode.kind === 'pinned' ? mode : { kind: 'pinned', anchors: this.deps.configuredAnchors };
      ctx.log.info({ server: conn.origin, ip, trusted, level: reply.reportingLevel }, 'bootstrapping data received');
      return { reply, nonce, trusted, root, target, reportMode };
    } finally {
      await conn.close().catch(() => undefined);
    }
  }

  /** get-bootstrapping-data, with the RFC 9646 CSR round trip towards trusted servers (X-01..X-05). */
  private async request(
    conn: ServerConnection,
    root: string,
    trusted: boolean,
    authorization: string | undefined,
  ): Promise<{ reply: BootstrappingReply; nonce: Uint8Array | undefined }> {
    const { ctx } = this.deps;
    const csr = trusted && ctx.config.bootstrap.csrSupport;
    // with the IDevID key in hardware, a generated key could not be kept as safe: the CSR reuses the IDevID key.
    const hardwareKey = deviceKeyOf(this.deps.settings.credentials);
    const reuse = hardwareKey !== undefined && hardwareKey.kind !== 'file' ? hardwareKey : undefined;
    let extras: Record<string, unknown> = csr
      ? { 'ietf-sztp-csr:csr-support': csrSupportInput(reuse === undefined) }
      : {};
    let keys = 0;
    for (;;) {
      const nonce = ctx.config.bootstrap.nonce ? this.deps.randomBytes(NONCE_BYTES) : undefined;
      const input = buildBootstrapInput(trusted, ctx.identity, nonce, extras);
      try {
        return { reply: await getBootstrappingData(conn, root, input.body, ctx.signal, authorization), nonce };
      } catch (err) {
        const evidence = isSztpError(err) ? err.evidence : undefined;
        const request =
          csr && isSztpError(err) && err.code === 'SZTP_ERR_SERVER_RESTCONF_ERROR' && evidence?.status === 400
            ? findCsrRequest(evidence.errors as RestconfErrorEntry[] | undefined)
            : undefined;
        if (request === undefined) throw err;
        if (keys > 0) await this.deps.csrKeys.discard();
        if (keys >= 2)
          throw new SztpError('SZTP_ERR_SERVER_RESPONSE', `${conn.origin} keeps asking for a CSR`, { cause: err });
        const idevid = this.deps.settings.credentials.certificate;
        let made: Uint8Array;
        if (reuse === undefined) {
          const generated = await buildCsr(request, idevid);
          await this.deps.csrKeys.save(generated);
          made = generated.csr;
        } else {
          made = await idevidCsr(request, idevid, reuse);
        }
        keys += 1;
        ctx.log.info(
          { server: conn.origin, round: keys, key: reuse === undefined ? 'generated' : `IDevID (${reuse.kind})` },
          'RFC 9646 csr-request: sending a PKCS#10 CSR',
        );
        extras = { 'ietf-sztp-csr:p10-csr': Buffer.from(made).toString('base64') };
      }
    }
  }

  /** Validates one reply: onboarding information is yielded, redirect information walked (depth + 1). */
  private async *process(ex: Exchange, depth: number): Sources {
    const { ctx, origin } = this.deps;
    const description = originOf(ex.target.address, ex.target.port);
    const reporter: ProgressReporter = ex.trusted
      ? createServerReporter({
          open: () => this.deps.open(ex.target, ex.reportMode, this.deps.settings),
          root: ex.root,
          level: ex.reply.reportingLevel,
          log: ctx.log,
          // Reports outlive the fetch (they go on during onboarding): only a stop aborts them.
          signal: ctx.runSignal ?? ctx.signal,
          description,
          ...(this.deps.activation === undefined ? {} : { authorization: this.deps.activation.authorization }),
        })
      : NULL_REPORTER;
    let info;
    try {
      info = await ctx.validate(ex.reply.artifacts, ctx.trustContext(ex.nonce));
    } catch (err) {
      const e = toSztpError(err, 'SZTP_ERR_CONVEYED_DECODE');
      // RFC 8572 §5.6: bootstrap-initiated first, then the terminating parsing-error (trusted servers only).
      await reporter
        .report({ progressType: 'bootstrap-initiated', message: `bootstrapping data from ${description}` })
        .catch(() => undefined);
      await reporter
        .report({ progressType: 'parsing-error', message: `${e.code}: ${e.message}` })
        .catch(() => undefined);
      ctx.log.warn(
        { err: e.toJSON(), server: description },
        'bootstrapping data refused; trying the next address or entry',
      );
      this.fail(e);
      return;
    }
    const admission = admit(info, ex.trusted ? 'trusted-server' : 'provisional-server');
    if (admission.kind === 'refuse') {
      this.fail(
        new SztpError(admission.code, `${description}: ${admission.reason}`, { evidence: { server: description } }),
      );
      return;
    }
    if (info.kind === 'onboarding-information') {
      yield { fetcher: origin.fetcher, description, info, reporter, trustedServer: ex.trusted };
      ctx.log.info(
        { server: description },
        'onboarding from this server did not complete; returning to the enclosing loop (RFC 8572 §5.6)',
      );
      return;
    }
    ctx.log.info(
      { server: description, signed: info.signed, trusted: ex.trusted, servers: info.redirect.bootstrapServers.length },
      'redirect information received',
    );
    yield* this.list(info.redirect, admission.kind === 'follow' && admission.keepTrustAnchors, depth + 1);
  }
}
