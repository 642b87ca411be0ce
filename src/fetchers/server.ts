/**
 * The `Server` fetcher: the well-known bootstrap servers of `[Bootstrap] servers` (RFC 8572 §4.4,
 * §5.1 #3/#4). Each `https://host[:port]` URI becomes a redirect entry whose TLS is pinned to the
 * configured `bootstrap_trust_anchors` (carried as a certs-only CMS `trust-anchor`, so the trusted
 * redirect rules of §5.5 apply unchanged); without configured anchors the servers are contacted
 * provisionally (only signed data accepted, no progress reports).
 * @module
 */
import { degenerateCmsFromCerts } from '../bootstrap/pem.ts';
import { SztpError } from '../errors.ts';
import { parseHttpsHostPort } from '../lib/https-uri.ts';
import type { BootstrapServerEntry } from '../types.ts';
import { admit } from '../validation/admit.ts';
import type { Fetcher } from '../contracts/fetch.ts';

/** Parses `https://host[:port]` (no path, query, fragment or user info) into address and port; SZTP_ERR_SERVER_URI otherwise. */
export function parseServerUri(uri: string): { readonly address: string; readonly port: number } {
  const parsed = parseHttpsHostPort(uri);
  if (!parsed.ok)
    throw new SztpError('SZTP_ERR_SERVER_URI', `bootstrap server ${JSON.stringify(uri)}: ${parsed.reason}`, {
      evidence: { uri },
    });
  return { address: parsed.address, port: parsed.port };
}

export function createServerFetcher(): Fetcher {
  return {
    name: 'Server',
    async fetch(ctx) {
      const uris = ctx.config.bootstrap.servers;
      if (uris.length === 0)
        throw new SztpError('SZTP_ERR_FETCHER_UNAVAILABLE', 'no well-known bootstrap servers configured');
      const targets = uris.map(parseServerUri);
      const anchors = ctx.bootstrapTrustAnchors;
      const trustAnchor = anchors.length === 0 ? undefined : degenerateCmsFromCerts(anchors);
      if (trustAnchor === undefined)
        ctx.log.warn('no bootstrap_trust_anchors: well-known servers are contacted provisionally');
      const bootstrapServers: BootstrapServerEntry[] = targets.map((t) =>
        trustAnchor === undefined ? t : { ...t, trustAnchor },
      );
      // The configured list is as trusted as ztp.ini: its anchors (the configured ones) are kept.
      const admission = admit({ kind: 'redirect-information', signed: false }, 'configuration');
      return ctx.bootstrap.followRedirect(
        { bootstrapServers },
        admission.kind === 'follow' && admission.keepTrustAnchors,
        ctx,
        { fetcher: 'Server', description: `well-known servers ${uris.join(' ')}` },
      );
    },
  };
}
