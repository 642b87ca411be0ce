/**
 * The syntax of `[Device] idevid_key` and `[Device] idevid_cert` (pure): a PEM file path, an RFC 7512
 * `pkcs11:` URI naming a private key on a token (HSM, secure element, or a TPM through
 * tpm2-pkcs11), a `tpm2:0x81xxxxxx` TPM persistent handle, and for the certificate a
 * `tpm2-nv:0x01xxxxxx` NV index (the TCG IDevID certificate index is 0x01C90000). A PIN written
 * into the URI (`pin-value`) is refused: ztp.ini is read by `config` and logs; the PIN comes from
 * `[Device] pkcs11_pin_file` instead.
 * @module
 */

export type KeyRef =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'pkcs11'; readonly uri: string }
  | { readonly kind: 'tpm2'; readonly handle: string };

export type CertRef =
  { readonly kind: 'file'; readonly path: string } | { readonly kind: 'tpm2-nv'; readonly index: string };

/** RFC 7512 §2.3 path attributes naming a token and an object (vendor `x-` attributes allowed). */
const PK11_PATH_ATTRS = new Set([
  'token',
  'manufacturer',
  'serial',
  'model',
  'library-manufacturer',
  'library-description',
  'library-version',
  'slot-description',
  'slot-manufacturer',
  'slot-id',
  'object',
  'id',
  'type',
]);
const PK11_TYPES = new Set(['private', 'cert', 'public', 'secret-key', 'data']);
const PCHAR = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=&]|%[0-9A-Fa-f]{2})*$/;

/** True when the value names something in hardware rather than a file. */
export const isHardwareRef = (value: string): boolean => /^(?:pkcs11|tpm2|tpm2-nv):/i.test(value);

/** The reason a `pkcs11:` URI is refused, or undefined when it names a private key acceptably. */
export function pkcs11UriProblem(uri: string): string | undefined {
  if (!uri.startsWith('pkcs11:')) return 'must start with pkcs11:';
  const [path = '', query, ...more] = uri.slice('pkcs11:'.length).split('?');
  if (more.length > 0) return 'has more than one "?"';
  if (query !== undefined) {
    const names = query.split('&').map((a) => a.split('=')[0]);
    if (names.includes('pin-value'))
      return 'carries its PIN (pin-value): put the PIN in a file named by [Device] pkcs11_pin_file';
    return 'query attributes are not accepted here (the module and PIN come from [Device] pkcs11_module and pkcs11_pin_file)';
  }
  const seen = new Set<string>();
  for (const attr of path.split(';')) {
    const eq = attr.indexOf('=');
    const name = eq < 0 ? attr : attr.slice(0, eq);
    const value = eq < 0 ? '' : attr.slice(eq + 1);
    if (name === 'pin-value')
      return 'carries its PIN (pin-value): put the PIN in a file named by [Device] pkcs11_pin_file';
    if (!PK11_PATH_ATTRS.has(name) && !name.startsWith('x-')) return `unknown path attribute "${name}" (RFC 7512 §2.3)`;
    if (eq < 0 || value === '') return `attribute "${name}" has no value`;
    if (!PCHAR.test(value)) return `attribute "${name}" has characters that must be percent-encoded (RFC 7512 §2.3)`;
    if (seen.has(name)) return `attribute "${name}" is repeated`;
    seen.add(name);
    if (name === 'type' && !PK11_TYPES.has(value)) return `type=${value} is not an RFC 7512 object type`;
  }
  if (!seen.has('object') && !seen.has('id')) return 'names no key (object= or id=)';
  const type = path.split(';').find((a) => a.startsWith('type='));
  if (type !== undefined && type !== 'type=private') return 'must name a private key (type=private)';
  return undefined;
}

function handleProblem(hex: string, low: number, high: number, what: string): string | undefined {
  if (!/^0x[0-9a-fA-F]{8}$/.test(hex)) return `${what} must be 0x followed by 8 hex digits`;
  const n = Number.parseInt(hex.slice(2), 16);
  return n < low || n > high ? `${what} ${hex} is outside 0x${low.toString(16)}-0x${high.toString(16)}` : undefined;
}

/** Why an `[Device] idevid_key` value is refused, or undefined (the config parser makes it a coded error). */
export function keyRefProblem(value: string): string | undefined {
  if (/^pkcs11:/i.test(value)) return pkcs11UriProblem(value);
  if (/^tpm2:/i.test(value)) return handleProblem(value.slice(5), 0x81000000, 0x81ffffff, 'a TPM persistent handle');
  if (/^tpm2-nv:/i.test(value)) return 'tpm2-nv: names a certificate (idevid_cert), not a key';
  return undefined;
}

/** Why an `[Device] idevid_cert` value is refused, or undefined. */
export function certRefProblem(value: string): string | undefined {
  if (/^tpm2-nv:/i.test(value)) return handleProblem(value.slice(8), 0x01000000, 0x01ffffff, 'a TPM NV index');
  if (/^(?:pkcs11|tpm2):/i.test(value)) return 'idevid_cert takes a PEM file or tpm2-nv:0x01xxxxxx';
  return undefined;
}

/** The key reference of a checked `idevid_key` value. */
export function keyRefOf(value: string): KeyRef {
  if (/^pkcs11:/i.test(value)) return { kind: 'pkcs11', uri: value };
  if (/^tpm2:/i.test(value)) return { kind: 'tpm2', handle: value.slice(5).toLowerCase() };
  return { kind: 'file', path: value };
}

/** The certificate reference of a checked `idevid_cert` value. */
export function certRefOf(value: string): CertRef {
  return /^tpm2-nv:/i.test(value)
    ? { kind: 'tpm2-nv', index: value.slice(8).toLowerCase() }
    : { kind: 'file', path: value };
}

/** Which backend holds the IDevID key, for `status` and logs (never a PIN: URIs carrying one are refused). */
export function keyBackendOf(
  idevidKey: string | undefined,
): { readonly backend: KeyRef['kind']; readonly key: string } | undefined {
  if (idevidKey === undefined) return undefined;
  const ref = keyRefOf(idevidKey);
  return { backend: ref.kind, key: ref.kind === 'pkcs11' ? ref.uri : ref.kind === 'tpm2' ? ref.handle : ref.path };
}
