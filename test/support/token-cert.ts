/**
 * Test PKCS#11 tokens (./softhsm.ts, ./tpm2-pkcs11.ts) and the IDevID certificates of keys generated on them (SoftHSM2, tpm2-pkcs11) in tests: the
 * token signs the CSR itself (`openssl req` with the key named `org.openssl.engine:pkcs11:<uri>`,
 * the engine found by id and the module by PKCS11_MODULE_PATH, PIN from a file), and the test
 * manufacturer CA issues the certificate with subject serialNumber `serial`.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertFiles } from './pki.ts';

export interface TokenKey {
  /** RFC 7512 URI of the private key (no PIN). */
  readonly uri: string;
  /** PEM IDevID certificate of the key. */
  readonly cert: string;
}

/** A test token with a user PIN, an RSA and an EC key and their certificates. */
export interface PinToken {
  readonly module: string;
  readonly pinFile: string;
  /** A file holding a wrong PIN. */
  readonly wrongPinFile: string;
  /** OpenSSL configuration that pre-loads the engine with the token's module. */
  readonly engineConf: string;
  readonly rsa: TokenKey;
  readonly ec: TokenKey;
  /** Environment for processes that use the token (its configuration variables). */
  readonly env: Readonly<Record<string, string>>;
}

interface TokenCertRequest {
  readonly dir: string;
  /** Object label of the key; also the certificate's CN and file names. */
  readonly name: string;
  readonly uri: string;
  readonly module: string;
  readonly pinFile: string;
  /** Environment of the token (its configuration variables). */
  readonly env: NodeJS.ProcessEnv;
  readonly serial: string;
  readonly issuer: CertFiles;
  readonly keyUsage: string;
}

export function issueTokenCert(r: TokenCertRequest): TokenKey {
  const run = (args: readonly string[], env: NodeJS.ProcessEnv = r.env): void => {
    execFileSync('openssl', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  };
  const csr = join(r.dir, `${r.name}.csr`);
  const ext = join(r.dir, `${r.name}.ext`);
  const cert = join(r.dir, `${r.name}.crt`);
  run(
    [
      'req',
      '-new',
      '-key',
      `org.openssl.engine:pkcs11:${r.uri}?pin-source=file:${r.pinFile}`,
      '-subj',
      `/CN=${r.name}/serialNumber=${r.serial}`,
      '-out',
      csr,
    ],
    { ...r.env, PKCS11_MODULE_PATH: r.module },
  );
  writeFileSync(
    ext,
    [
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      'basicConstraints=critical,CA:FALSE',
      `keyUsage=critical,${r.keyUsage}`,
      'extendedKeyUsage=clientAuth',
    ].join('\n') + '\n',
  );
  run([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    r.issuer.cert,
    '-CAkey',
    r.issuer.key,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '3650',
    '-sha256',
    '-extfile',
    ext,
  ]);
  return { uri: r.uri, cert };
}
