/**
 * RFC 8572 §8.3 `bootstrap-server-list`: the value of DHCPv4 option 143 and DHCPv6 option 136.
 * A repetition of `uri-length` (2 octets, network order) + URI. Each URI must be
 * `https://<ip-address-or-hostname>[:<port>]`.
 *
 * Parsing rules (C-162, C-167, T-27; byte example in docs/requirements.md, "DHCP worked example"),
 * strictly per RFC 8572 §8 by default:
 * - an entry whose length runs past the end is truncated: it is ignored and parsing stops;
 * - entries that are not https, are malformed, non-ASCII, carry userinfo, a path, a query or a
 *   fragment are invalid and ignored (reported in `dropped`); an empty path or `/` is no path;
 * - when no entry is valid, the whole option is discarded: SZTP_ERR_DHCP_NO_OPTION. A list
 *   without the 16-bit length framing (plain text) has no valid entry.
 *
 * `[DHCP] accept_nonconforming_uris: True` (off by default) restores the leniency some servers
 * need, each use returned as a warning: a URI with a path (e.g. `https://host:8443/restconf/...`)
 * is used for its host and port only (T-27 "strip the path with a warning"), and bytes that are
 * not a valid length-prefixed list but are printable ASCII starting with `http` are read as
 * whitespace/comma separated URIs.
 *
 * Pure: no I/O. The caller logs `warnings`.
 * @module
 */
import { SztpError } from '../errors.ts';
import { inert } from '../lib/inert-text.ts';
import { SZTP_REDIRECT_OPTION, type SztpRedirectOption } from './constants.ts';

/** One usable redirect URI. `host` carries no IPv6 brackets. */
export interface RedirectUri {
  readonly uri: string;
  readonly host: string;
  readonly port: number;
}

export interface UriListResult {
  readonly uris: readonly RedirectUri[];
  readonly dropped: readonly { readonly uri: string; readonly reason: string }[];
  readonly warnings: readonly string[];
  readonly form: 'length-prefixed' | 'plain-text';
}

const URI_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#[\]]*)(?::([^/?#]*))?([^?#]*)(\?[^#]*)?(#.*)?$/;
const LABEL_RE = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** Checks one URI; returns the parsed form, or a reason string when it is not usable. */
export function parseRedirectUri(uri: string): { ok: RedirectUri; pathIgnored: boolean } | { reason: string } {
  if (!/^[\x21-\x7e]+$/.test(uri)) return { reason: 'empty, non-ASCII or contains whitespace/control characters' };
  const m = URI_RE.exec(uri);
  if (m === null) return { reason: 'not a URI' };
  const [, scheme = '', rawHost = '', portText, path = '', query, fragment] = m;
  if (scheme.toLowerCase() !== 'https') return { reason: `scheme ${scheme} is not https` };
  if (rawHost.includes('@') || uri.slice(8).split('/')[0]?.includes('@') === true)
    return { reason: 'userinfo is not allowed' };
  if (query !== undefined || fragment !== undefined) return { reason: 'query or fragment is not allowed' };
  let host: string;
  if (rawHost.startsWith('[')) {
    host = rawHost.slice(1, -1);
    if (!isIPv6(host)) return { reason: `invalid IPv6 literal ${rawHost}` };
  } else {
    host = rawHost;
    if (host === '') return { reason: 'missing host' };
    if (!isIPv4(host) && !isHostname(host)) return { reason: `invalid host ${host}` };
  }
  let port = 443;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return { reason: `invalid port ${portText}` };
    port = Number(portText);
    if (port < 1 || port > 65535) return { reason: `port ${port} out of range` };
  }
  const pathIgnored = path !== '' && path !== '/';
  return { ok: { uri, host, port }, pathIgnored };
}

function isIPv4(host: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(host);
}

function isIPv6(host: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(host) || !host.includes(':')) return false;
  try {
    return new URL(`https://[${host}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

function isHostname(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253) return false;
  // A name made only of digits and dots would be a malformed IPv4 literal.
  if (/^[0-9.]+$/.test(name)) return false;
  return name.split('.').every((l) => LABEL_RE.test(l));
}

/** Splits the raw option bytes into URI strings (length-prefixed form). */
function splitLengthPrefixed(bytes: Uint8Array): { entries: Uint8Array[]; truncated: boolean } {
  const entries: Uint8Array[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (off + 2 > bytes.length) return { entries, truncated: true };
    const len = ((bytes[off] ?? 0) << 8) | (bytes[off + 1] ?? 0);
    off += 2;
    if (off + len > bytes.length) return { entries, truncated: true };
    entries.push(bytes.subarray(off, off + len));
    off += len;
  }
  return { entries, truncated: false };
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function looksLikePlainText(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (const b of bytes) if (b < 0x09 || b > 0x7e || (b > 0x0d && b < 0x20)) return false;
  const head = latin1(bytes.subarray(0, 4)).toLowerCase();
  return head === 'http';
}

/**
 * Parses a bootstrap-server-list. Never throws anything but SztpError
 * (SZTP_ERR_DHCP_NO_OPTION when no valid entry remains).
 * @param option 143 or 136, for messages only.
 */
export function parseUriList(
  bytes: Uint8Array,
  option: SztpRedirectOption = SZTP_REDIRECT_OPTION[4],
  opts: { readonly acceptNonconforming?: boolean } = {},
): UriListResult {
  const lenient = opts.acceptNonconforming === true;
  const warnings: string[] = [];
  const dropped: { uri: string; reason: string }[] = [];
  const uris: RedirectUri[] = [];
  let form: UriListResult['form'] = 'length-prefixed';
  let texts: string[];
  const split = splitLengthPrefixed(bytes);
  if (lenient && split.truncated && split.entries.length === 0 && looksLikePlainText(bytes)) {
    form = 'plain-text';
    texts = latin1(bytes)
      .split(/[\s,]+/)
      .filter((s) => s !== '');
    warnings.push(
      `option ${option} holds plain text instead of the RFC 8572 §8.3 length-prefixed list; reading it as whitespace-separated URIs (accept_nonconforming_uris)`,
    );
  } else {
    texts = split.entries.map((e) => latin1(e));
    if (split.truncated)
      warnings.push(`option ${option}: the last entry's length runs past the end of the option; it was ignored`);
  }
  for (const text of texts) {
    const r = parseRedirectUri(text);
    if ('reason' in r) {
      // DHCP strings are untrusted: the dropped entry and the reason (which quotes it) are made inert.
      dropped.push({ uri: inert(text, 256), reason: inert(r.reason, 256) });
      continue;
    }
    if (r.pathIgnored) {
      if (!lenient) {
        dropped.push({
          uri: inert(text, 256),
          reason: 'a path is not allowed (RFC 8572 §8.3; [DHCP] accept_nonconforming_uris accepts it)',
        });
        continue;
      }
      warnings.push(
        `option ${option}: URI ${text} carries a path, which RFC 8572 §8.3 forbids; only host and port are used (accept_nonconforming_uris)`,
      );
    }
    uris.push(r.ok);
  }
  if (uris.length === 0) {
    throw new SztpError('SZTP_ERR_DHCP_NO_OPTION', `option ${option} holds no valid https://host[:port] URI`, {
      evidence: { option, dropped, truncated: split.truncated, length: bytes.length },
    });
  }
  return { uris, dropped, warnings, form };
}

/** Encodes URIs as a bootstrap-server-list (for tests, docs and scripts/dhcp-option-hex.ts). */
export function encodeUriList(uris: readonly string[]): Uint8Array {
  const parts: number[] = [];
  for (const uri of uris) {
    const bytes = new TextEncoder().encode(uri);
    if (bytes.length > 0xffff) throw new SztpError('SZTP_ERR_SERVER_URI', `URI longer than 65535 octets`);
    parts.push(bytes.length >> 8, bytes.length & 0xff, ...bytes);
  }
  return Uint8Array.from(parts);
}
