/**
 * Small byte helpers shared by the CMS and X.509 stages: wrapping parser exceptions into coded
 * errors, byte comparison and concatenation, hex.
 * @module
 */
import { ValidationError, type SztpErrorCode, type ValidationStep } from '../errors.ts';

/** Copies bytes into a fresh ArrayBuffer (asn1js/pkijs want ArrayBuffer-backed input). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}

/** Runs a parser call and turns any exception into a coded ValidationError (ValidationErrors pass through). */
export function guard<T>(step: ValidationStep, code: SztpErrorCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    const text = err instanceof Error ? err.message : String(err);
    throw new ValidationError(step, code, `${what}: ${text}`, { cause: err, evidence: { artifact: what } });
  }
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
