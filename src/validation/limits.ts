/**
 * Hostile-input limits for the trust pipeline (RFC 8572 §9 security considerations): every size
 * is checked BEFORE the bytes are parsed.
 * @module
 */
import { ValidationError, type ValidationStep } from '../errors.ts';

/** Limits applied to one validation. */
export interface ValidationLimits {
  /** Maximum size of one artifact (CMS bytes as received). */
  readonly maxArtifactBytes: number;
  /** Maximum number of certificates in one CMS `certificates` set. */
  readonly maxCertificates: number;
  /** Maximum number of CRLs in one CMS `crls` set. */
  readonly maxCrls: number;
  /** Maximum size of a JSON/XML document inside a CMS. */
  readonly maxDocumentBytes: number;
  /** Maximum nesting depth of a JSON/XML document. */
  readonly maxDepth: number;
}

export const DEFAULT_LIMITS: ValidationLimits = {
  maxArtifactBytes: 4 * 1024 * 1024,
  maxCertificates: 16,
  maxCrls: 16,
  maxDocumentBytes: 4 * 1024 * 1024,
  maxDepth: 32,
};

/** Throws SZTP_ERR_CMS_TOO_LARGE when `bytes` is larger than the artifact limit. */
export function checkArtifactSize(
  bytes: Uint8Array,
  step: ValidationStep,
  what: string,
  limits: ValidationLimits,
): void {
  if (bytes.byteLength > limits.maxArtifactBytes) {
    throw new ValidationError(
      step,
      'SZTP_ERR_CMS_TOO_LARGE',
      `${what} is ${bytes.byteLength} bytes, above the ${limits.maxArtifactBytes}-byte limit`,
      {
        evidence: { artifact: what, size: bytes.byteLength, limit: limits.maxArtifactBytes },
      },
    );
  }
}

/** Throws SZTP_ERR_LIMIT_EXCEEDED when `count` is above `max`. */
export function checkCount(count: number, max: number, step: ValidationStep, what: string): void {
  if (count > max) {
    throw new ValidationError(step, 'SZTP_ERR_LIMIT_EXCEEDED', `${what}: ${count} items, above the limit of ${max}`, {
      evidence: { what, count, limit: max },
    });
  }
}

/**
 * Maximum bracket nesting of a JSON text, computed without parsing (strings are skipped), so a
 * hostile document cannot exhaust the stack of JSON.parse or of our decoder.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}
