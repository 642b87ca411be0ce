/**
 * The `tpm2` DeviceKey: an IDevID key that exists only at a TPM 2.0 persistent handle
 * (`[Device] idevid_key = tpm2:0x81020000`, the TCG IDevID handle), used through tpm2-tools child
 * processes with a deadline (./key-tool.ts), over `[Device] tpm2_tcti` (default the kernel resource
 * manager `device:/dev/tpmrm0`). It fills the gaps of Debian 12's tpm2-pkcs11: ECDH
 * (`tpm2_ecdhzgen`) and keys that were never exported as a blob. Signing hashes in-process and has
 * the TPM sign the digest (`tpm2_sign -d`); RSA-OAEP uses `tpm2_rsadecrypt -s oaep-<hash>`.
 *
 * TLS with such a key is not possible in-process on Node 20 (OpenSSL's tpm2 provider cannot be used
 * by node:tls, see docs/hardware-keys.md): the key names the TLS helper instead, an `openssl s_client`
 * child with the tpm2 provider (Debian: tpm2-openssl) loading the handle. {@link readNvCertificate} reads the IDevID certificate from an NV index
 * (`[Device] idevid_cert = tpm2-nv:0x01C90000`).
 * @module
 */
import { createHash } from 'node:crypto';
import type { DeviceKey, KeyDigest } from '../contracts/device-key.ts';
import { SztpError, type SztpErrorCode } from '../errors.ts';
import { keyToolEnv, runKeyTool } from './key-tool.ts';

export interface Tpm2Options {
  /** `[Device] tpm2_tcti`, e.g. `device:/dev/tpmrm0`, `tabrmd:bus_type=system`, `swtpm:host=127.0.0.1,port=2321`. */
  readonly tcti: string;
  readonly timeoutMs: number;
}

export interface Tpm2KeyOptions extends Tpm2Options {
  /** The persistent handle, `0x81xxxxxx`. */
  readonly handle: string;
  readonly type: 'rsa' | 'ec';
}

const CLASSIFY: readonly (readonly [RegExp, SztpErrorCode])[] = [
  [
    /handle is not correct|0x18b|0x28b|TPM_RC_HANDLE|Esys_TR_FromTPMPublic|not defined|0x14b/i,
    'SZTP_ERR_DEVICE_KEY_NOT_FOUND',
  ],
  [/authorization|TPM_RC_AUTH_FAIL|0x98e|TPM_RC_BAD_AUTH|lockout/i, 'SZTP_ERR_DEVICE_KEY_PIN'],
  [
    /tcti|Could not load|Failed to initialize|Connection refused|No such file or directory/i,
    'SZTP_ERR_DEVICE_KEY_MODULE',
  ],
];

const TPM_DIGESTS: ReadonlySet<KeyDigest> = new Set(['sha1', 'sha256', 'sha384', 'sha512']);

function tpmDigest(digest: KeyDigest): string {
  if (!TPM_DIGESTS.has(digest))
    throw new SztpError('SZTP_ERR_DEVICE_KEY_UNSUPPORTED', `the TPM does not offer ${digest}`);
  return digest;
}

const tool = (
  o: Tpm2Options,
  what: string,
  argv: readonly string[],
  inputs: Record<string, Uint8Array>,
  output?: string,
): Promise<Uint8Array> =>
  runKeyTool({
    argv: [argv[0] ?? '', '-T', o.tcti, ...argv.slice(1)],
    inputs,
    ...(output === undefined ? {} : { output }),
    env: keyToolEnv(),
    timeoutMs: o.timeoutMs,
    what,
    classify: CLASSIFY,
    fallback: 'SZTP_ERR_DEVICE_KEY_OPERATION',
  });

/** The OpenSSL providers of the TLS helper: `default` first, tpm2 (Debian: tpm2-openssl) for the key. */
const PROVIDERS = ['-provider', 'default', '-provider', 'tpm2'] as const;
const providerEnv = (o: Tpm2Options): Record<string, string> => keyToolEnv({ TPM2OPENSSL_TCTI: o.tcti });

/**
 * Start-up check that OpenSSL loads the tpm2 provider the TLS helper needs (src/bootstrap/tls-helper.ts),
 * so that a device without it fails at start with SZTP_ERR_DEVICE_KEY_MODULE, not in its first handshake.
 */
export async function probeTlsProvider(o: Tpm2Options): Promise<void> {
  await runKeyTool({
    argv: ['openssl', 'list', '-providers', ...PROVIDERS],
    env: providerEnv(o),
    timeoutMs: o.timeoutMs,
    what: 'load the OpenSSL tpm2 provider for TLS with the TPM key (Debian: tpm2-openssl)',
    classify: [],
    fallback: 'SZTP_ERR_DEVICE_KEY_MODULE',
  });
}

/** An uncompressed point (04 || X || Y) of a DER SubjectPublicKeyInfo as a TPM2B_ECC_POINT. */
export function spkiToTpmPoint(spki: Uint8Array): Uint8Array {
  const point = new Uint8Array(spki.subarray(spki.length - 65));
  if (spki.length < 65 || point[0] !== 4)
    throw new SztpError('SZTP_ERR_DEVICE_KEY_UNSUPPORTED', 'the peer key is not an uncompressed P-256 point');
  const coord = (c: Uint8Array): Buffer => Buffer.concat([Buffer.from([0, c.length]), c]);
  const body = Buffer.concat([coord(point.subarray(1, 33)), coord(point.subarray(33, 65))]);
  return new Uint8Array(Buffer.concat([Buffer.from([body.length >> 8, body.length & 0xff]), body]));
}

/** The X coordinate (the ECDH shared secret Z) of a TPM2B_ECC_POINT. */
export function tpmPointX(bytes: Uint8Array): Uint8Array {
  const len = ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  if (bytes.length < 4 + len || len === 0)
    throw new SztpError('SZTP_ERR_DEVICE_KEY_OPERATION', 'tpm2_ecdhzgen returned no point');
  return bytes.slice(4, 4 + len);
}

export function tpm2DeviceKey(o: Tpm2KeyOptions): DeviceKey {
  const { type } = o;
  const at = `TPM handle ${o.handle}`;
  return {
    kind: 'tpm2',
    type,
    // TLS runs in an openssl s_client child with the tpm2 provider (src/bootstrap/tls-helper.ts): node:tls
    // cannot sign with a provider key on Node 20. `default` first and the tpm2 preference only by property
    // query: a tpm2 provider listed first also takes over the random generator (slower, and it hangs Node).
    tlsClientOptions: () =>
      Promise.resolve({
        helper: {
          opensslArgs: [...PROVIDERS, '-propquery', '?provider=tpm2', '-key', `handle:${o.handle}`],
          env: providerEnv(o),
        },
      }),
    sign: async (data, digest) => {
      const hash = tpmDigest(digest);
      return tool(
        o,
        `sign with ${at}`,
        [
          'tpm2_sign',
          '-c',
          o.handle,
          '-g',
          hash,
          '-s',
          type === 'ec' ? 'ecdsa' : 'rsassa',
          '-d',
          '-f',
          'plain',
          '-o',
          '{out:sig}',
          '{in:digest}',
        ],
        { digest: new Uint8Array(createHash(hash).update(data).digest()) },
        'sig',
      );
    },
    unwrapRsaOaep: async (encryptedKey, digest) =>
      tool(
        o,
        `RSA-OAEP decrypt with ${at}`,
        ['tpm2_rsadecrypt', '-c', o.handle, '-s', `oaep-${tpmDigest(digest)}`, '-o', '{out:plain}', '{in:wrapped}'],
        { wrapped: encryptedKey },
        'plain',
      ),
    deriveEcdh: async (peer) =>
      tpmPointX(
        await tool(
          o,
          `ECDH with ${at}`,
          ['tpm2_ecdhzgen', '-c', o.handle, '-u', '{in:peer.pt}', '-o', '{out:z.pt}'],
          { 'peer.pt': spkiToTpmPoint(peer) },
          'z.pt',
        ),
      ),
  };
}

/** The DER certificate stored in a TPM NV index (authorized by the index itself, as the TCG IDevID index allows). */
export async function readNvCertificate(o: Tpm2Options, index: string): Promise<Uint8Array> {
  const der = await tool(o, `read NV index ${index}`, ['tpm2_nvread', index, '-o', '{out:cert.der}'], {}, 'cert.der');
  // An NV index may be larger than the certificate: keep the first DER element.
  const len = derLength(der);
  if (len === undefined)
    throw new SztpError('SZTP_ERR_DEVICE_IDENTITY', `NV index ${index} does not hold a DER certificate`);
  return der.slice(0, len);
}

/** Length of the first DER SEQUENCE in `b`, or undefined. */
function derLength(b: Uint8Array): number | undefined {
  if (b[0] !== 0x30 || b.length < 2) return undefined;
  const first = b[1] ?? 0;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 3 || b.length < 2 + n) return undefined;
  let len = 0;
  for (let i = 0; i < n; i++) len = (len << 8) | (b[2 + i] ?? 0);
  return 2 + n + len > b.length ? undefined : 2 + n + len;
}
