/**
 * Small ASN.1 helpers shared by the CMS and X.509 stages: BER-tolerant decoding (RFC 8572 T-14)
 * wrapped into coded errors, byte comparison, and hex/base64 conversions.
 * @module
 */
import * as asn1js from 'asn1js';
import { ValidationError, type SztpErrorCode, type ValidationStep } from '../errors.ts';

/** Copies bytes into a fresh ArrayBuffer (asn1js/pkijs want ArrayBuffer-backed input). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}

/** Decodes one BER/DER element that must span all of `bytes`. */
export function decodeBer(bytes: Uint8Array, step: ValidationStep, what: string, code: SztpErrorCode = 'SZTP_ERR_CMS_DECODE'): asn1js.AsnType {
  let parsed: ReturnType<typeof asn1js.fromBER>;
  try {
    parsed = asn1js.fromBER(toArrayBuffer(bytes));
  } catch (err) {
    throw new ValidationError(step, code, `${what}: not decodable BER/DER`, { cause: err, evidence: { artifact: what } });
  }
  if (parsed.offset === -1 || parsed.result.error !== '') {
    throw new ValidationError(step, code, `${what}: not decodable BER/DER (${parsed.result.error})`, { evidence: { artifact: what } });
  }
  if (parsed.offset !== bytes.byteLength) {
    throw new ValidationError(step, code, `${what}: ${bytes.byteLength - parsed.offset} trailing bytes after the ASN.1 element`, {
      evidence: { artifact: what },
    });
  }
  return parsed.result;
}

/** Runs a pkijs/asn1js call and turns any exception into a coded ValidationError. */
export function guard<T>(step: ValidationStep, code: SztpErrorCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    const text = err instanceof Error ? err.message : String(err);
    throw new ValidationError(step, code, `${what}: ${text}`, { cause: err, evidence: { artifact: what } });
  }
}

/** The content octets of an OCTET STRING, primitive or constructed (BER segments concatenated). */
export function octetContent(value: asn1js.OctetString): Uint8Array {
  if (!value.idBlock.isConstructed) return new Uint8Array(value.valueBlock.valueHexView);
  const parts: Uint8Array[] = [];
  const walk = (block: asn1js.AsnType): void => {
    if (block instanceof asn1js.OctetString && !block.idBlock.isConstructed) parts.push(new Uint8Array(block.valueBlock.valueHexView));
    else if (block instanceof asn1js.Constructed || block instanceof asn1js.OctetString) {
      for (const child of (block.valueBlock as { value?: asn1js.AsnType[] }).value ?? []) walk(child);
    }
  };
  for (const child of value.valueBlock.value) walk(child);
  return concatBytes(parts);
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
