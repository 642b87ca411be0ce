/**
 * PEM armour (RFC 7468): the blocks of one label in a text, decoded with the strict base64 of
 * ./base64.ts, and DER wrapped back into PEM. Certificate files may hold PEM blocks or one DER
 * certificate. Pure functions, no I/O.
 * @module
 */
import { decodeBase64, encodeBase64 } from './base64.ts';

export interface PemBlock {
  readonly label: string;
  /** The decoded body; undefined when the body is not valid base64. */
  readonly der: Uint8Array | undefined;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every `-----BEGIN <label>-----` block of `text` whose label is one of `labels`, in order. */
export function pemBlocks(text: string, labels: readonly string[]): PemBlock[] {
  const re = new RegExp(`-----BEGIN (${labels.map(escape).join('|')})-----([\\s\\S]*?)-----END \\1-----`, 'g');
  return [...text.matchAll(re)].map((m) => ({ label: m[1] ?? '', der: decodeBase64(m[2] ?? '') }));
}

/**
 * The DER of every `label` block (default `CERTIFICATE`). A block whose body is not base64 yields
 * zero bytes, so it fails as "not a certificate" where it is parsed instead of vanishing.
 */
export function pemToDer(text: string, label = 'CERTIFICATE'): Uint8Array[] {
  return pemBlocks(text, [label]).map((b) => b.der ?? new Uint8Array(0));
}

/**
 * The certificates of a file: its PEM CERTIFICATE blocks, or else the whole file as one DER
 * certificate (an empty file has none). The caller parses each, so junk fails as "not a certificate".
 */
export function certificatesFromPemOrDer(bytes: Uint8Array): Uint8Array[] {
  const ders = pemToDer(Buffer.from(bytes).toString('latin1'));
  if (ders.length === 0 && bytes.length > 0) return [new Uint8Array(bytes)];
  return ders;
}

/** True when the bytes look like PEM (some `-----BEGIN` line), e.g. to tell a PEM key from a DER one. */
export function isPem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes).toString('latin1').includes('-----BEGIN');
}

/** PEM armour for DER bytes (`label` e.g. `CERTIFICATE`, `PRIVATE KEY`), 64 characters a line. */
export function derToPem(der: Uint8Array, label: string): string {
  const lines = encodeBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
