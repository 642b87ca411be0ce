/**
 * Strict base64 (RFC 4648 §4, padding required) for every base64 value the agent reads: RFC 7951
 * `binary` leaves (whitespace tolerated, RFC 8572 T-11), PEM bodies, OpenSSH key blobs and CLI
 * arguments. Node's own decoder skips characters it does not know; this one refuses them.
 * @module
 */

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes `value` after removing whitespace; undefined when it is not canonical padded base64. The empty string is zero bytes. */
export function decodeBase64(value: string): Uint8Array | undefined {
  const s = value.replace(/\s+/g, '');
  if (!B64.test(s)) return undefined;
  return new Uint8Array(Buffer.from(s, 'base64'));
}

/** Encodes bytes as padded base64 (no line breaks). */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
