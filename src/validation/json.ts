/**
 * Bounded JSON decoding and the RFC 7951 value encodings the trust pipeline reads (base64
 * `binary` is src/lib/base64.ts): RFC 3339 `date-and-time` (T-08), booleans that
 * arrive as strings and identities without a module prefix (T-11).
 * @module
 */
import { ValidationError, type SztpErrorCode, type ValidationStep } from '../errors.ts';
import { jsonDepth, type ValidationLimits } from './limits.ts';
import { messageOf } from '../lib/error-info.ts';

/** Decodes UTF-8 `bytes` (BOM stripped) and parses JSON within the size and depth limits. */
export function parseJson(
  bytes: Uint8Array,
  step: ValidationStep,
  code: SztpErrorCode,
  what: string,
  limits: ValidationLimits,
): unknown {
  if (bytes.byteLength > limits.maxDocumentBytes) {
    throw new ValidationError(
      step,
      'SZTP_ERR_LIMIT_EXCEEDED',
      `${what} is ${bytes.byteLength} bytes, above the ${limits.maxDocumentBytes}-byte limit`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new ValidationError(step, code, `${what} is not valid UTF-8`, { cause: err });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const depth = jsonDepth(text);
  if (depth > limits.maxDepth)
    throw new ValidationError(
      step,
      'SZTP_ERR_LIMIT_EXCEEDED',
      `${what} nests ${depth} levels deep, above the limit of ${limits.maxDepth}`,
    );
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ValidationError(step, code, `${what} is not valid JSON: ${messageOf(err)}`, { cause: err });
  }
}

export type JsonObject = Readonly<Record<string, unknown>>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses RFC 3339 date-and-time (`-00:00` means UTC, unknown offset); undefined if invalid. */
export function parseDateTime(value: string): Date | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const iso = value.replace(/-00:00$/, 'Z');
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** RFC 7951 boolean, tolerating `"true"`/`"false"` strings (RFC 8366's example quotes it). */
export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** Strips a module prefix from an identity/enum value (`ietf-voucher:verified` → `verified`). */
export function localName(value: string): string {
  const i = value.lastIndexOf(':');
  return i === -1 ? value : value.slice(i + 1);
}
