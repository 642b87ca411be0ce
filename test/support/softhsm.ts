/**
 * A real SoftHSM2 token for tests (Debian `softhsm2`, `opensc`, `libengine-pkcs11-openssl`): its
 * own token directory and SOFTHSM2_CONF, an RSA-2048 and a P-256 key generated on the token, and
 * IDevID certificates issued by the test manufacturer CA from CSRs that the token itself signed
 * (./token-cert.ts). The PINs are test values given on the tools' argv.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineConfigText, defaultEnginePath } from '../../src/platform/openssl-engine.ts';
import type { CertFiles } from './pki.ts';
import { issueTokenCert, type PinToken, type TokenKey } from './token-cert.ts';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const PIN = '1234';

export type SoftHsmToken = PinToken;

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
  const run = (file: string, args: readonly string[]): void => {
    execFileSync(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    return issueTokenCert({ dir, name, uri, module: SOFTHSM_MODULE, pinFile, env, serial, issuer, keyUsage });
  };
  const rsa = key(`${label}-rsa`, '01', 'rsa:2048', 'digitalSignature,keyEncipherment');
  const ec = key(`${label}-ec`, '02', 'EC:prime256v1', 'digitalSignature,keyAgreement');
  return { module: SOFTHSM_MODULE, pinFile, wrongPinFile, engineConf, rsa, ec, env: { SOFTHSM2_CONF: conf } };
}
