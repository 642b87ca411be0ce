/**
 * `https://host[:port]` (no path, query, fragment or user info; a trailing `/` is tolerated):
 * the form of a well-known bootstrap server in ztp.ini (RFC 8572 §4.4). Checked when the file is
 * loaded and again when the Server fetcher uses it.
 * @module
 */
import { isIP } from 'node:net';

export type HttpsHostPort =
  | { readonly ok: true; readonly address: string; readonly port: number }
  | { readonly ok: false; readonly reason: string };

/** Parses `uri`; the IPv6 literal's brackets are removed from `address`; port 443 when absent. */
export function parseHttpsHostPort(uri: string): HttpsHostPort {
  const bad = (reason: string): HttpsHostPort => ({ ok: false, reason });
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return bad('not a URI');
  }
  if (url.protocol !== 'https:') return bad('scheme must be https');
  if (url.username !== '' || url.password !== '') return bad('user info is not allowed');
  if (
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== '' ||
    /^https:\/\/[^/]+\/./i.test(uri)
  ) {
    return bad('must be https://host[:port] without path, query or fragment');
  }
  const bracketed = url.hostname.startsWith('[');
  const address = bracketed ? url.hostname.slice(1, -1) : url.hostname;
  if (address === '') return bad('host is empty');
  if (bracketed && isIP(address) !== 6) return bad('bad IPv6 literal');
  return { ok: true, address, port: url.port === '' ? 443 : Number(url.port) };
}
