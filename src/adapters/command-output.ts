/**
 * Parsers for command-adapter output that ends up in `bootstrap-complete` (RFC 8572 §7.3
 * `ssh-host-keys` and `trust-anchor-certs`): OpenSSH public-key lines and PEM-armoured
 * degenerate CMS SignedData. Pure module (no I/O); malformed entries are returned as problems
 * for the caller to log, never sent.
 * @module
 */
import type { SshHostKey } from './router-adapter.ts';

export interface Parsed<T> {
  readonly items: T[];
  readonly problems: string[];
}

/** Reads an RFC 4253 §6.6 string (uint32 length + bytes) at offset 0. */
function firstSshString(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Parses `algorithm base64 [comment]` lines (OpenSSH `*.pub` format); blank and `#` lines are skipped. */
export function parseSshPublicKeys(text: string): Parsed<SshHostKey> {
  const items: SshHostKey[] = [];
  const problems: string[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [algorithm, b64] = line.split(/\s+/);
    if (algorithm === undefined || b64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
      problems.push(`line ${index + 1}: not an OpenSSH public key`);
      continue;
    }
    const keyData = Buffer.from(b64, 'base64');
    if (firstSshString(keyData) !== algorithm) {
      problems.push(`line ${index + 1}: key blob does not start with its algorithm name ${algorithm}`);
      continue;
    }
    items.push({ algorithm, keyData: new Uint8Array(keyData) });
  }
  return { items, problems };
}

const PEM_BLOCK = /-----BEGIN (PKCS7|CMS)-----([\s\S]*?)-----END \1-----/g;

/** Extracts `PKCS7`/`CMS` PEM blocks (e.g. from `openssl crl2pkcs7 -nocrl -certfile chain.pem`) as DER. */
export function parsePemSignedData(text: string): Parsed<Uint8Array> {
  const items: Uint8Array[] = [];
  const problems: string[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const body = (m[2] ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
      problems.push('a PEM block is not valid base64');
      continue;
    }
    const der = Buffer.from(body, 'base64');
    // A DER SEQUENCE (0x30) is the only acceptable start of a ContentInfo.
    if (der[0] !== 0x30) {
      problems.push('a PEM block is not a DER ContentInfo');
      continue;
    }
    items.push(new Uint8Array(der));
  }
  if (items.length === 0 && problems.length === 0 && text.trim() !== '') problems.push('no PKCS7/CMS PEM block in the output');
  return { items, problems };
}
