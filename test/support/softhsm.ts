/**
 * A real SoftHSM2 token for tests (Debian `softhsm2`, `opensc`, `libengine-pkcs11-openssl`): its
 * own token directory and SOFTHSM2_CONF, an RSA-2048 and a P-256 key generated on the token, and
 * IDevID certificates issued by the test manufacturer CA from CSRs that the token itself signed
 * (`openssl req` through the PKCS#11 engine). The PINs are test values given on the tools' argv.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineConfigText, defaultEnginePath } from '../../src/platform/openssl-engine.ts';
import type { CertFiles } from './pki.ts';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const PIN = '1234';

export interface TokenKey {
  /** RFC 7512 URI of the private key (no PIN). */
  readonly uri: string;
  /** PEM IDevID certificate of the key. */
  readonly cert: string;
}

export interface SoftHsmToken {
  readonly module: string;
  readonly pinFile: string;
  /** A file holding a wrong PIN. */
  readonly wrongPinFile: string;
  /** OpenSSL configuration that pre-loads the engine with the SoftHSM module. */
  readonly engineConf: string;
  readonly rsa: TokenKey;
  readonly ec: TokenKey;
  /** Environment for processes that use the token (SOFTHSM2_CONF). */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Makes a token labelled `label` in `dir`, sets SOFTHSM2_CONF in this process (so the agent's
 * children see it) and issues IDevID certificates with subject serialNumber `serial` from `issuer`.
 */
export function makeSoftHsmToken(dir: string, issuer: CertFiles, serial: string, label = 'idevid'): SoftHsmToken {
  mkdirSync(join(dir, 'tokens'), { recursive: true });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  const engineConf = join(dir, 'engine.cnf');
  writeFileSync(engineConf, engineConfigText(defaultEnginePath(), SOFTHSM_MODULE));
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  // Only the token's own operations run with the engine configuration (the CA signs with a plain file key).
  const run = (file: string, args: readonly string[], withEngine = false): void => {
    execFileSync(file, args, {
      env: withEngine ? { ...env, OPENSSL_CONF: engineConf } : env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  };
  run('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '0000', '--pin', PIN]);
  const pinFile = join(dir, 'pin');
  writeFileSync(pinFile, PIN, { mode: 0o600 });
  const wrongPinFile = join(dir, 'wrong-pin');
  writeFileSync(wrongPinFile, '9999', { mode: 0o600 });
  const key = (name: string, id: string, keyType: string, keyUsage: string): TokenKey => {
    run('pkcs11-tool', [
      '--module',
      SOFTHSM_MODULE,
      '--token-label',
      label,
      '--login',
      '--pin',
      PIN,
      '--keypairgen',
      '--key-type',
      keyType,
      '--label',
      name,
      '--id',
      id,
    ]);
    const uri = `pkcs11:token=${label};object=${name};type=private`;
    const csr = join(dir, `${name}.csr`);
    const ext = join(dir, `${name}.ext`);
    const cert = join(dir, `${name}.crt`);
    run(
      'openssl',
      [
        'req',
        '-new',
        '-engine',
        'pkcs11',
        '-keyform',
        'engine',
        '-key',
        `${uri}?pin-source=file:${pinFile}`,
        '-subj',
        `/CN=${name}/serialNumber=${serial}`,
        '-out',
        csr,
      ],
      true,
    );
    writeFileSync(
      ext,
      [
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid',
        'basicConstraints=critical,CA:FALSE',
        `keyUsage=critical,${keyUsage}`,
        'extendedKeyUsage=clientAuth',
      ].join('\n') + '\n',
    );
    run('openssl', [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      issuer.cert,
      '-CAkey',
      issuer.key,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      ext,
    ]);
    return { uri, cert };
  };
  const rsa = key(`${label}-rsa`, '01', 'rsa:2048', 'digitalSignature,keyEncipherment');
  const ec = key(`${label}-ec`, '02', 'EC:prime256v1', 'digitalSignature,keyAgreement');
  return { module: SOFTHSM_MODULE, pinFile, wrongPinFile, engineConf, rsa, ec, env: { SOFTHSM2_CONF: conf } };
}
