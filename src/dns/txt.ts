/**
 * The device-specific TXT record of RFC 8572 §4.2.2 (C-032): key/value pairs in the RFC 6763 §6
 * form `key=value`, where `ci`, `oc` and `ov` carry the conveyed information, owner certificate
 * and ownership voucher as binary (DER, not base64: RFC 6763 §6.5 values are opaque octets).
 * Every other key is ignored; keys compare case-insensitively (RFC 6763 §6.4).
 *
 * Splitting: one character-string holds at most 255 octets (RFC 1035 §3.3), far less than a
 * signed artifact. A pair that does not fit continues in the following character-strings of the
 * same record: every string of the pair except the last is exactly 255 octets long, so a string
 * shorter than 255 octets (possibly empty) ends the value. A short pair is then exactly the
 * RFC 6763 one-string form. `encodeSztpTxt` writes this form (`bundle --dns-zone` prints it).
 *
 * Refused, as SZTP_ERR_DNS_TXT: `ci`, `oc` or `ov` given twice (RFC 6763 §6.4 would keep the
 * first; for signed artifacts a second copy is ambiguity we do not resolve), without `=` or with
 * an empty value, text that is base64 rather than binary, a value left open at the end of the
 * record, more than {@link MAX_TXT_VALUE_OCTETS} octets.
 *
 * Pure: no I/O.
 * @module
 */
import { SztpError } from '../errors.ts';

/** The artifacts a device-specific TXT record carries. */
export interface SztpTxtArtifacts {
  readonly conveyedInformation?: Uint8Array;
  readonly ownerCertificate?: Uint8Array;
  readonly ownershipVoucher?: Uint8Array;
}

const KEYS = { ci: 'conveyedInformation', oc: 'ownerCertificate', ov: 'ownershipVoucher' } as const;
type SztpKey = keyof typeof KEYS;

const FULL = 255;
/** A single TXT record cannot exceed 65535 octets (RFC 8572 §4.2.4, C-034). */
export const MAX_TXT_VALUE_OCTETS = 65535;

function txtError(message: string): SztpError {
  return new SztpError('SZTP_ERR_DNS_TXT', `TXT record: ${message}`);
}

const EQUALS = 0x3d;

/** One key/value pair and the strings it spans. */
interface Pair {
  readonly key: string;
  readonly hasValue: boolean;
  readonly value: Uint8Array;
}

/** The pairs of one TXT record (its character-strings in order), continuations joined. */
function pairsOf(strings: readonly Uint8Array[]): Pair[] {
  const pairs: Pair[] = [];
  let i = 0;
  while (i < strings.length) {
    const first = strings[i] ?? new Uint8Array(0);
    i++;
    if (first.length === 0) continue; // RFC 6763 §6.1: an empty string is an empty record
    const eq = first.indexOf(EQUALS);
    const key = Buffer.from(eq < 0 ? first : first.subarray(0, eq))
      .toString('latin1')
      .toLowerCase();
    if (eq < 0) {
      pairs.push({ key, hasValue: false, value: new Uint8Array(0) });
      continue;
    }
    const parts: Uint8Array[] = [first.subarray(eq + 1)];
    let last = first;
    let total = first.length - eq - 1;
    while (last.length === FULL) {
      const next = strings[i];
      if (next === undefined)
        throw txtError(
          `the value of "${printable(key)}" fills its last string (255 octets) but no string follows to end it`,
        );
      i++;
      parts.push(next);
      total += next.length;
      if (total > MAX_TXT_VALUE_OCTETS)
        throw txtError(`the value of "${printable(key)}" is longer than ${MAX_TXT_VALUE_OCTETS} octets`);
      last = next;
    }
    pairs.push({ key, hasValue: true, value: Buffer.concat(parts) });
  }
  return pairs;
}

/** A key as it may be shown in a message: printable ASCII only, at most 32 characters. */
function printable(key: string): string {
  return key.slice(0, 32).replace(/[^\x20-\x7e]/g, '?');
}

/** Base64 text where DER was expected: a common operator mistake, reported as such. */
function looksLikeBase64(v: Uint8Array): boolean {
  return v.length >= 4 && v[0] !== 0x30 && /^[A-Za-z0-9+/]+={0,2}$/.test(Buffer.from(v).toString('latin1'));
}

/**
 * The artifacts of the device-specific TXT records at one name: `records` holds each TXT record's
 * character-strings. Identical records (an mDNS answer seen twice) count once.
 */
export function decodeSztpTxt(records: readonly (readonly Uint8Array[])[]): SztpTxtArtifacts {
  const seen = new Set<string>();
  const found: Partial<Record<SztpKey, Uint8Array>> = {};
  for (const strings of records) {
    const identity = strings.map((s) => Buffer.from(s).toString('hex')).join('/');
    if (seen.has(identity)) continue;
    seen.add(identity);
    for (const pair of pairsOf(strings)) {
      if (!(pair.key in KEYS)) continue; // C-032: every other key is ignored
      const key = pair.key as SztpKey;
      if (found[key] !== undefined) throw txtError(`key "${key}" appears more than once`);
      if (!pair.hasValue || pair.value.length === 0) throw txtError(`key "${key}" has no value`);
      if (looksLikeBase64(pair.value))
        throw txtError(`the value of "${key}" is base64 text; RFC 8572 §4.2.2 carries the artifact in binary (DER)`);
      found[key] = pair.value;
    }
  }
  return {
    ...(found.ci === undefined ? {} : { conveyedInformation: found.ci }),
    ...(found.oc === undefined ? {} : { ownerCertificate: found.oc }),
    ...(found.ov === undefined ? {} : { ownershipVoucher: found.ov }),
  };
}

/** The character-strings of one TXT record carrying `artifacts` (ci, then oc, then ov), split as described above. */
export function encodeSztpTxt(artifacts: SztpTxtArtifacts): Uint8Array[] {
  const out: Uint8Array[] = [];
  const entries: [SztpKey, Uint8Array | undefined][] = [
    ['ci', artifacts.conveyedInformation],
    ['oc', artifacts.ownerCertificate],
    ['ov', artifacts.ownershipVoucher],
  ];
  for (const [key, value] of entries) {
    if (value === undefined) continue;
    if (value.length > MAX_TXT_VALUE_OCTETS)
      throw txtError(
        `the value of "${key}" is longer than ${MAX_TXT_VALUE_OCTETS} octets (RFC 8572 §4.2.4: use a redirect)`,
      );
    const whole = Buffer.concat([Buffer.from(`${key}=`, 'latin1'), value]);
    let p = 0;
    for (;;) {
      const chunk = whole.subarray(p, p + FULL);
      out.push(Uint8Array.from(chunk));
      p += chunk.length;
      if (chunk.length < FULL) break; // a full last chunk is followed by an empty one
    }
  }
  return out;
}
