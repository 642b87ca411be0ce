/**
 * Parsers for command-adapter output that ends up in `bootstrap-complete` (RFC 8572 §7.3
 * `ssh-host-keys` and `trust-anchor-certs`): OpenSSH public-key lines and PEM-armoured
 * degenerate CMS SignedData. Pure module (no I/O); malformed entries are returned as problems
 * for the caller to log, never sent.
 * @module
 */
import { pemBlocks } from '../lib/pem.ts';
import { parseSshPublicKey } from '../lib/ssh-key.ts';
import type { SshHostKey } from './router-adapter.ts';

export interface Parsed<T> {
  readonly items: T[];
  readonly problems: string[];
}

/** Parses `algorithm base64 [comment]` lines (OpenSSH `*.pub` format); blank and `#` lines are skipped. */
export function parseSshPublicKeys(text: string): Parsed<SshHostKey> {
  const items: SshHostKey[] = [];
  const problems: string[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parsed = parseSshPublicKey(line);
    if ('key' in parsed) items.push(parsed.key);
    else problems.push(`line ${index + 1}: ${parsed.reason}`);
  }
  return { items, problems };
}

/** Extracts `PKCS7`/`CMS` PEM blocks (e.g. from `openssl crl2pkcs7 -nocrl -certfile chain.pem`) as DER. */
export function parsePemSignedData(text: string): Parsed<Uint8Array> {
  const items: Uint8Array[] = [];
  const problems: string[] = [];
  for (const { der } of pemBlocks(text, ['PKCS7', 'CMS'])) {
    if (der === undefined || der.length === 0) {
      problems.push('a PEM block is not valid base64');
      continue;
    }
    // A DER SEQUENCE (0x30) is the only acceptable start of a ContentInfo.
    if (der[0] !== 0x30) {
      problems.push('a PEM block is not a DER ContentInfo');
      continue;
    }
    items.push(der);
  }
  if (items.length === 0 && problems.length === 0 && text.trim() !== '')
    problems.push('no PKCS7/CMS PEM block in the output');
  return { items, problems };
}
