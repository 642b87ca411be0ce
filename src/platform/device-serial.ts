/**
 * The device serial number named by an IDevID subject serialNumber (2.5.4.5). Most vendors put the
 * bare serial there; Cisco SUDI certificates put `PID:<product-id> SN:<serial>` (with an optional
 * `VID:<version-id>`), while Cisco vouchers, the USB `EN9/<serial>/` directory and the server's
 * records name the chassis serial alone. The rule (docs/trust.md, RFC 8572 T-29): the SN token is
 * the device serial only when the whole value is such a token list, so the serial still names
 * exactly the device of the TLS client certificate; any other value is taken verbatim. Pure.
 * @module
 */

/** A `KEY:VALUE` token of the Cisco SUDI form; keys PID, VID, SN (any case). */
const TOKEN = /^(PID|VID|SN):(\S+)$/i;

export interface DerivedSerial {
  /** The device serial: the SN token of a vendor form, else the value verbatim. */
  readonly serial: string;
  /** Which form was recognised. */
  readonly form: 'verbatim' | 'cisco-sudi';
}

/** Derives the device serial from a subject serialNumber value. */
export function deviceSerialFromSubject(value: string): DerivedSerial {
  const tokens = value
    .trim()
    .split(/[\s,;]+/)
    .filter((t) => t !== '');
  const parsed = tokens.map((t) => TOKEN.exec(t));
  if (tokens.length < 2 || parsed.some((m) => m === null)) return { serial: value, form: 'verbatim' };
  const keys = parsed.map((m) => (m?.[1] ?? '').toUpperCase());
  // Each key at most once, and a product id next to the serial: otherwise it is not the SUDI form.
  if (new Set(keys).size !== keys.length || !keys.includes('SN') || !keys.includes('PID'))
    return { serial: value, form: 'verbatim' };
  const sn = parsed[keys.indexOf('SN')]?.[2];
  return sn === undefined ? { serial: value, form: 'verbatim' } : { serial: sn, form: 'cisco-sudi' };
}
