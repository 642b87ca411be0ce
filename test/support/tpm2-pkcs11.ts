/**
 * A real TPM-backed PKCS#11 token for tests (Debian `swtpm`, `tpm2-abrmd`, `libtpm2-pkcs11-1`,
 * `libtpm2-pkcs11-tools`): swtpm on free loopback ports behind tpm2-abrmd on a private D-Bus as the
 * resource manager (./swtpm.ts; swtpm has none, a router has /dev/tpmrm0), all stopped by pid,
 * also when the test process exits. The TPM's dictionary-attack lockout is relaxed so that
 * wrong-PIN tests do not lock it. `tpm2_ptool` makes the token (store in `dir`) with an RSA-2048
 * and a P-256 key generated in the TPM; IDevID certificates are issued from CSRs that the token
 * signed (./token-cert.ts). Sets TPM2_PKCS11_STORE and TPM2_PKCS11_TCTI in this process (the
 * broker sets DBUS_SESSION_BUS_ADDRESS), so the agent processes the test starts reach the token.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultEnginePath, engineConfigText } from '../../src/platform/openssl-engine.ts';
import type { CertFiles } from './pki.ts';
import { startSoftTpm, startTpmBroker } from './swtpm.ts';
import { issueTokenCert, type PinToken, type TokenKey } from './token-cert.ts';

export const TPM2_PKCS11_MODULE = '/usr/lib/x86_64-linux-gnu/libtpm2_pkcs11.so.1';
const PIN = '1234';

export interface TpmToken extends PinToken {
  /** The pids of dbus-daemon and tpm2-abrmd. */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

export async function startTpmToken(
  dir: string,
  issuer: CertFiles,
  serial: string,
  label = 'idevid',
): Promise<TpmToken> {
  mkdirSync(join(dir, 'store'), { recursive: true });
  mkdirSync(join(dir, 'swtpm'), { recursive: true });
  const swtpm = await startSoftTpm(join(dir, 'swtpm'));
  const broker = await startTpmBroker(dir, swtpm).catch(async (err: unknown) => {
    await swtpm.stop();
    throw err;
  });
  const killAll = (): void => {
    for (const pid of broker.pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', killAll);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killAll);
    await broker.stop();
    await swtpm.stop();
  };
  try {
    const env = {
      DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '',
      TPM2_PKCS11_STORE: join(dir, 'store'),
      TPM2_PKCS11_TCTI: broker.tcti,
    };
    const toolEnv = { ...process.env, ...env, TPM2TOOLS_TCTI: broker.tcti };
    // swtpm allows 3 failed authorizations before a 1000 s lockout: a wrong PIN is one.
    broker.tool([
      'tpm2_dictionarylockout',
      '--setup-parameters',
      '--max-tries=1000',
      '--recovery-time=1',
      '--lockout-recovery-time=1',
    ]);
    const ptool = (args: readonly string[]): void => {
      broker.tool(['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'tpm2_ptool', ...args]);
    };
    ptool(['init']);
    ptool(['addtoken', '--pid=1', '--sopin=0000', `--userpin=${PIN}`, `--label=${label}`]);
    const pinFile = join(dir, 'pin');
    writeFileSync(pinFile, PIN, { mode: 0o600 });
    const wrongPinFile = join(dir, 'wrong-pin');
    writeFileSync(wrongPinFile, '9999', { mode: 0o600 });
    const key = (name: string, algorithm: string, keyUsage: string): TokenKey => {
      ptool(['addkey', `--label=${label}`, `--userpin=${PIN}`, `--algorithm=${algorithm}`, `--key-label=${name}`]);
      const uri = `pkcs11:token=${label};object=${name};type=private`;
      return issueTokenCert({
        dir,
        name,
        uri,
        module: TPM2_PKCS11_MODULE,
        pinFile,
        env: toolEnv,
        serial,
        issuer,
        keyUsage,
      });
    };
    const rsa = key(`${label}-rsa`, 'rsa2048', 'digitalSignature,keyEncipherment');
    const ec = key(`${label}-ec`, 'ecc256', 'digitalSignature,keyAgreement');
    const engineConf = join(dir, 'engine.cnf');
    writeFileSync(engineConf, engineConfigText(defaultEnginePath(), TPM2_PKCS11_MODULE));
    Object.assign(process.env, env);
    return { module: TPM2_PKCS11_MODULE, pinFile, wrongPinFile, engineConf, rsa, ec, env, pids: broker.pids, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
