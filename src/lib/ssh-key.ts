/**
 * OpenSSH public-key lines (`algorithm base64 [comment]`, the `*.pub` format): the algorithm and
 * the key blob, checked to be strict base64 and to start with its own algorithm name (RFC 4253
 * §6.6), as RFC 8572 §7.3 `ssh-host-key` entries are sent to the bootstrap server.
 * @module
 */
import { decodeBase64 } from './base64.ts';

export interface SshPublicKey {
  readonly algorithm: string;
  readonly keyData: Uint8Array;
}

/** Reads an RFC 4253 §6.6 string (uint32 length + bytes) at offset 0. */
function firstSshString(blob: Uint8Array): string | undefined {
  if (blob.length < 4) return undefined;
  const len = Buffer.from(blob).readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  return Buffer.from(blob.subarray(4, 4 + len)).toString('latin1');
}

/** Parses one line; `reason` says why it is not a public key. */
export function parseSshPublicKey(line: string): { readonly key: SshPublicKey } | { readonly reason: string } {
  const [algorithm, b64] = line.trim().split(/\s+/);
  const keyData = b64 === undefined || b64 === '' ? undefined : decodeBase64(b64);
  if (algorithm === undefined || algorithm === '' || keyData === undefined || keyData.length === 0)
    return { reason: 'not an OpenSSH public key' };
  if (firstSshString(keyData) !== algorithm)
    return { reason: `key blob does not start with its algorithm name ${algorithm}` };
  return { key: { algorithm, keyData } };
}
