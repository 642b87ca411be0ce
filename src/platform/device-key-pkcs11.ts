/**
 * The `pkcs11` DeviceKey: an IDevID private key on a PKCS#11 token (HSM, secure element, or a TPM
 * through tpm2-pkcs11), named by an RFC 7512 URI (`[Device] idevid_key = pkcs11:token=…;object=…`).
 * The key never leaves the token:
 *  - TLS: node:tls signs the handshake through OpenSSL's PKCS#11 engine (libp11), by
 *    `privateKeyEngine: 'pkcs11'` + `privateKeyIdentifier`. Node 20 can only find the engine when
 *    it was pre-loaded by the OpenSSL configuration read at process start (./openssl-engine.ts
 *    writes it; `sztp-agent run` restarts itself with it);
 *  - sign, RSA-OAEP unwrap, ECDH: `openssl pkeyutl` with the same engine, as a child process with a
 *    deadline (./key-tool.ts). The child names the key `org.openssl.engine:pkcs11:<uri>` and finds
 *    the engine by id in its directory (OPENSSL_ENGINES) and the module by PKCS11_MODULE_PATH, with
 *    no `-engine` flag and no engine configuration: either would make the engine OpenSSL's default
 *    for RSA/EC in that process (the CLI registers every configured engine), and tpm2-pkcs11's own
 *    TSS crypto (its salted session at C_Login) then fails inside the engine (docs/hardware-keys.md).
 * The PIN is read by the engine from `[Device] pkcs11_pin_file` (`pin-source=file:`): it is never in
 * argv, an environment, ztp.ini or a log. The start-up probe is in (./device-key-hardware.ts).
 * @module
 */
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import type { DeviceKey, KeyDigest, TlsClientKey } from '../contracts/device-key.ts';
import { SztpError, type SztpErrorCode } from '../errors.ts';
import { keyToolEnv, runKeyTool } from './key-tool.ts';
import { engineLoadedInProcess } from './openssl-engine.ts';

export interface Pkcs11KeyOptions {
  /** The checked `pkcs11:` URI (path attributes only). */
  readonly uri: string;
  /** `[Device] pkcs11_module`: the PKCS#11 module (.so). */
  readonly module: string;
  /** `[Device] pkcs11_pin_file`: a file holding the user PIN (none: the key needs no login). */
  readonly pinFile?: string;
  /** libp11's engine (a file named pkcs11.so: the tools load it by id from its directory). */
  readonly engine: string;
  readonly timeoutMs: number;
  readonly type: 'rsa' | 'ec';
}

const CLASSIFY: readonly (readonly [RegExp, SztpErrorCode])[] = [
  [
    /PIN incorrect|PIN_INCORRECT|PIN locked|PIN_LOCKED|PIN_LEN_RANGE|PIN expired|UI_PROCESSING|ui_process|Could not read PIN/i,
    'SZTP_ERR_DEVICE_KEY_PIN',
  ],
  [
    /Unable to load PKCS#11 module|dynamic_load|could not load the shared library|no such engine|invalid parameter/i,
    'SZTP_ERR_DEVICE_KEY_MODULE',
  ],
  [/object not found|token not found|No such token|not found/i, 'SZTP_ERR_DEVICE_KEY_NOT_FOUND'],
  // tpm2-pkcs11 has no CKM_ECDH1_DERIVE (C_DeriveKey: CKR_FUNCTION_NOT_SUPPORTED).
  [/Function not supported|Mechanism invalid/i, 'SZTP_ERR_DEVICE_KEY_UNSUPPORTED'],
];

/** Percent-encodes a file path for a `pin-source=file:` query value (RFC 7512 §2.4). */
const pctPath = (p: string): string =>
  p.replace(/[^A-Za-z0-9/._~-]/g, (c) =>
    [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );

/** The key's identifier for the engine: the URI plus, when a PIN file is set, its pin-source. */
export const engineKeyId = (o: Pick<Pkcs11KeyOptions, 'uri' | 'pinFile'>): string =>
  o.pinFile === undefined ? o.uri : `${o.uri}?pin-source=file:${pctPath(o.pinFile)}`;

export function pkcs11DeviceKey(o: Pkcs11KeyOptions): DeviceKey {
  const { type } = o;
  const id = engineKeyId(o);
  const pkeyutl = async (
    op: string,
    what: string,
    args: readonly string[],
    inputs: Record<string, Uint8Array>,
  ): Promise<Uint8Array> => {
    return runKeyTool({
      argv: ['openssl', 'pkeyutl', op, '-inkey', `org.openssl.engine:pkcs11:${id}`, ...args, '-out', '{out:result}'],
      inputs,
      output: 'result',
      env: keyToolEnv({ OPENSSL_ENGINES: dirname(o.engine), PKCS11_MODULE_PATH: o.module }),
      timeoutMs: o.timeoutMs,
      what: `${what} with ${o.uri}`,
      classify: CLASSIFY,
      fallback: 'SZTP_ERR_DEVICE_KEY_OPERATION',
    });
  };
  const oaep = (d: KeyDigest): string[] => [
    '-pkeyopt',
    'rsa_padding_mode:oaep',
    '-pkeyopt',
    `rsa_oaep_md:${d}`,
    '-pkeyopt',
    `rsa_mgf1_md:${d}`,
  ];
  return {
    kind: 'pkcs11',
    type,
    tlsClientOptions: (): Promise<TlsClientKey> => {
      if (!engineLoadedInProcess(o.module)) {
        return Promise.reject(
          new SztpError(
            'SZTP_ERR_DEVICE_KEY_MODULE',
            'TLS with a pkcs11: key needs the PKCS#11 engine loaded at process start (sztp-agent run restarts itself with it; other callers set OPENSSL_CONF)',
          ),
        );
      }
      return Promise.resolve({ privateKeyEngine: 'pkcs11', privateKeyIdentifier: id });
    },
    sign: (data, digest) =>
      pkeyutl('-sign', 'sign', ['-in', '{in:digest}', '-pkeyopt', `digest:${digest}`], {
        digest: new Uint8Array(createHash(digest).update(data).digest()),
      }),
    unwrapRsaOaep: (encryptedKey, digest) =>
      pkeyutl('-decrypt', 'RSA-OAEP decrypt', ['-in', '{in:wrapped}', ...oaep(digest)], { wrapped: encryptedKey }),
    deriveEcdh: (peer) =>
      pkeyutl('-derive', 'ECDH', ['-peerform', 'DER', '-peerkey', '{in:peer.der}'], { 'peer.der': peer }),
  };
}
