/**
 * DeviceKey: the port for every use of the IDevID private key (RFC 8572 §5.3 TLS client
 * authentication, §3.4 decryption of encrypted artifacts, and signing). Callers never see key
 * bytes, and every operation is asynchronous, so a key held in a file (src/platform/device-key-file.ts,
 * `file`), a TPM or an HSM can stand behind it.
 * @module
 */
import type { ConnectionOptions } from 'node:tls';

/** Digests the operations accept (names as node:crypto spells them). */
export type KeyDigest = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/**
 * A key node:tls cannot use (a TPM persistent handle): TLS runs in an `openssl s_client` child
 * (src/bootstrap/tls-helper.ts) given these options, which load and select the key, and this environment.
 */
export interface TlsHelperKey {
  /** s_client options naming the key, e.g. `-provider default -provider tpm2 -propquery ?provider=tpm2 -key handle:0x81000002`. */
  readonly opensslArgs: readonly string[];
  /** Variables the provider needs (e.g. TPM2OPENSSL_TCTI), on top of PATH and the TSS's own. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * What node:tls (and undici's connector) needs to authenticate with the key: a PEM key, or an
 * engine reference; or, for a key node:tls cannot use, the TLS helper process.
 */
export type TlsClientKey =
  Pick<ConnectionOptions, 'key' | 'privateKeyEngine' | 'privateKeyIdentifier'> | { readonly helper: TlsHelperKey };

export interface DeviceKey {
  /** Where the key lives: `file` today. */
  readonly kind: string;
  /** The key's algorithm family; decides which CMS recipient types can be addressed to it. */
  readonly type: 'rsa' | 'ec';
  /** TLS client options that make node:tls sign the handshake with this key. */
  tlsClientOptions(): Promise<TlsClientKey>;
  /** A signature over `data` (RSA PKCS#1 v1.5 or DER ECDSA, as node:crypto `sign` produces). */
  sign(data: Uint8Array, digest: KeyDigest): Promise<Uint8Array>;
  /** RSAES-OAEP decryption of a key-transport encrypted key (MGF1 with the same digest, empty label). */
  unwrapRsaOaep(encryptedKey: Uint8Array, digest: KeyDigest): Promise<Uint8Array>;
  /** The raw ECDH shared secret with a peer public key (DER SubjectPublicKeyInfo on the key's curve). */
  deriveEcdh(peerPublicKeySpki: Uint8Array): Promise<Uint8Array>;
}
