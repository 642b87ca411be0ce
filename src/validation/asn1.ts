/**
 * asn1js decoding for the trust pipeline (X.690 BER/DER, RFC 8572 T-14) and small byte helpers:
 * `decodeBer` runs `asn1js.fromBER` with bounds against hostile input (nesting depth, element
 * count) and insists on exactly one complete element (no trailing bytes);
 * `octetsOf` concatenates constructed (BER) OCTET STRING segments; `guard` wraps every library
 * exception into a coded ValidationError.
 * @module
 */
import * as asn1js from 'asn1js';
import { SztpError, ValidationError, type SztpErrorCode, type ValidationStep } from '../errors.ts';
import { messageOf } from '../lib/error-info.ts';

/** A structural problem found while decoding; {@link guard} re-codes it with the caller's step and code. */
export const decodeProblem = (message: string): SztpError => new SztpError('SZTP_ERR_CMS_DECODE', message);

/** Maximum ASN.1 nesting depth and element count accepted in one decoded artifact. */
export const MAX_ASN1_DEPTH = 48;
export const MAX_ASN1_ELEMENTS = 50_000;

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
    throw wrapError(err, step, code, what);
  }
}

/** Async form of {@link guard}. */
export async function guardAsync<T>(
  step: ValidationStep,
  code: SztpErrorCode,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw wrapError(err, step, code, what);
  }
}

function wrapError(err: unknown, step: ValidationStep, code: SztpErrorCode, what: string): ValidationError {
  if (err instanceof ValidationError) return err;
  const text = messageOf(err);
  return new ValidationError(step, code, `${what}: ${text}`, { cause: err, evidence: { artifact: what } });
}

/** Children of a constructed block (empty for primitives). */
export function childrenOf(block: asn1js.AsnType): readonly asn1js.AsnType[] {
  const v: unknown = (block as asn1js.BaseBlock).valueBlock;
  const kids = (v as { value?: unknown }).value;
  return block.idBlock.isConstructed && Array.isArray(kids) ? (kids as asn1js.AsnType[]) : [];
}

/**
 * Decodes `bytes` as exactly one BER element with asn1js, within asn1js's own bounds (nesting
 * depth, node count; OCTET/BIT STRING contents are not speculatively decoded). Any failure
 * (asn1js error, limits, trailing bytes) is `code` (default SZTP_ERR_CMS_DECODE) at `step`.
 */
export function decodeBer(
  bytes: Uint8Array,
  step: ValidationStep,
  what: string,
  code: SztpErrorCode = 'SZTP_ERR_CMS_DECODE',
): asn1js.AsnType {
  return guard(step, code, what, () => {
    const r = asn1js.fromBER(bytes, { maxDepth: MAX_ASN1_DEPTH, maxNodes: MAX_ASN1_ELEMENTS, parseEmbedded: false });
    if (r.offset === -1) throw decodeProblem(`not BER: ${r.result.error || 'decoding failed'}`);
    if (r.offset !== bytes.byteLength) throw decodeProblem(`${bytes.byteLength - r.offset} trailing bytes`);
    return r.result;
  });
}

/** OCTET STRING content (also [n] IMPLICIT OCTET STRING), constructed BER segments concatenated. */
export function octetsOf(block: asn1js.AsnType): Uint8Array {
  if (!block.idBlock.isConstructed) {
    const v = (block as asn1js.OctetString).valueBlock as { valueHexView?: Uint8Array };
    return v.valueHexView ?? new Uint8Array();
  }
  const parts: Uint8Array[] = [];
  const walk = (b: asn1js.AsnType, depth: number): void => {
    if (depth > MAX_ASN1_DEPTH) throw decodeProblem('OCTET STRING segments nest too deeply');
    if (b.idBlock.isConstructed) for (const c of childrenOf(b)) walk(c, depth + 1);
    else
      parts.push(
        ((b as asn1js.OctetString).valueBlock as { valueHexView?: Uint8Array }).valueHexView ?? new Uint8Array(),
      );
  };
  walk(block, 0);
  return concatBytes(parts);
}

/** The encoding of a decoded block exactly as received. */
export const rawOf = (block: { readonly valueBeforeDecodeView: Uint8Array }): Uint8Array => block.valueBeforeDecodeView;

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
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
