/**
 * A real software TPM for tests (Debian `swtpm`, `tpm2-tools`, `libtss2-tcti-swtpm0`): swtpm in TCP
 * socket mode on free loopback ports with its own state directory (started here, stopped by pid),
 * an EC P-256 and an RSA-2048 key made persistent at 0x81000002 / 0x81000003, and their public keys
 * as PEM. swtpm serves one client at a time and has no resource manager: every tool runs alone
 * and transient objects are flushed.
 * @module
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { signCsr } from '../../src/bootstrap/csr.ts';
import { tpm2DeviceKey } from '../../src/platform/device-key-tpm2.ts';
import { certDer, openssl, type TestPki } from './pki.ts';

export const EC_HANDLE = '0x81000002';
export const RSA_HANDLE = '0x81000003';

export interface SoftTpm {
  readonly tcti: string;
  /** Runs a tpm2-tools command against this TPM (test set-up only). */
  tool(args: readonly string[], input?: Uint8Array): Buffer;
  /** PEM SubjectPublicKeyInfo of a persistent key. */
  publicKeyPem(handle: string): string;
  stop(): Promise<void>;
}

/** A free TCP port on loopback (with the next one free too, for swtpm's control channel). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => {
          resolve(typeof a === 'object' && a !== null ? a.port : 0);
        });
      });
    });
    if (port > 0 && port < 65535) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = createServer();
        s.once('error', () => {
          resolve(false);
        });
        s.listen(port + 1, '127.0.0.1', () => {
          s.close(() => {
            resolve(true);
          });
        });
      });
      if (ok) return port;
    }
  }
}

type Tool = (args: readonly string[], input?: Uint8Array) => Buffer;

/** A tpm2-tools runner over `env`'s TCTI, once the TPM answers (bounded wait). */
async function readyTool(dir: string, env: NodeJS.ProcessEnv): Promise<Tool> {
  const tool: Tool = (args, input) =>
    execFileSync(args[0] ?? '', args.slice(1), {
      env,
      cwd: dir,
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 20_000,
    });
  for (let i = 0; ; i++) {
    try {
      tool(['tpm2_getcap', 'properties-fixed']);
      return tool;
    } catch (err) {
      if (i > 50) throw err;
      await sleep(100);
    }
  }
}

const publicKeyPemOf =
  (dir: string, tool: Tool) =>
  (handle: string): string => {
    tool(['tpm2_readpublic', '-c', handle, '-f', 'pem', '-o', 'pub.pem']);
    return readFileSync(join(dir, 'pub.pem'), 'utf8');
  };

export async function startSoftTpm(dir: string): Promise<SoftTpm> {
  const state = join(dir, 'tpm-state');
  mkdirSync(state, { recursive: true });
  const port = await freePortPair();
  const child: ChildProcess = spawn(
    'swtpm',
    [
      'socket',
      '--tpm2',
      '--tpmstate',
      `dir=${state}`,
      '--server',
      `type=tcp,port=${port},bindaddr=127.0.0.1`,
      '--ctrl',
      `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
      '--flags',
      'not-need-init,startup-clear',
    ],
    { stdio: 'ignore' },
  );
  const tcti = `swtpm:host=127.0.0.1,port=${port}`;
  const tool = await readyTool(dir, { ...process.env, TPM2TOOLS_TCTI: tcti });
  const attrs = 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign|decrypt';
  tool(['tpm2_createprimary', '-C', 'o', '-g', 'sha256', '-G', 'ecc', '-c', 'primary.ctx']);
  for (const [alg, name, handle] of [
    ['ecc256:null', 'ec', EC_HANDLE],
    ['rsa2048:null', 'rsa', RSA_HANDLE],
  ] as const) {
    tool(['tpm2_create', '-C', 'primary.ctx', '-G', alg, '-a', attrs, '-u', `${name}.pub`, '-r', `${name}.priv`]);
    tool(['tpm2_flushcontext', '-t']);
    tool(['tpm2_load', '-C', 'primary.ctx', '-u', `${name}.pub`, '-r', `${name}.priv`, '-c', `${name}.ctx`]);
    tool(['tpm2_evictcontrol', '-C', 'o', '-c', `${name}.ctx`, handle]);
    tool(['tpm2_flushcontext', '-t']);
  }
  tool(['tpm2_flushcontext', '-t']);
  return {
    tcti,
    tool,
    publicKeyPem: publicKeyPemOf(dir, tool),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(3000)]);
      }
    },
  };
}

export interface TpmBroker {
  /** TCTI of the broker (`tabrmd:bus_type=session`); the bus address is in process.env while it runs. */
  readonly tcti: string;
  /** Runs a tpm2-tools command through the broker. */
  tool(args: readonly string[], input?: Uint8Array): Buffer;
  /** PEM SubjectPublicKeyInfo of a persistent key. */
  publicKeyPem(handle: string): string;
  /** The pids of dbus-daemon and tpm2-abrmd. */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

/**
 * A resource manager in front of `tpm` (as /dev/tpmrm0 is on a device): a private D-Bus session bus
 * and `tpm2-abrmd --session` on it (Debian `tpm2-abrmd`, `libtss2-tcti-tabrmd0`, `dbus`), both
 * started here and stopped by pid. OpenSSL's tpm2 provider needs one: it keeps digest contexts in
 * the TPM, and swtpm alone runs out of object slots in a TLS handshake. From then on every client
 * (this process's children included: DBUS_SESSION_BUS_ADDRESS is set in process.env) goes through
 * the broker, because swtpm serves one connection, the broker's.
 */
export async function startTpmBroker(dir: string, tpm: SoftTpm): Promise<TpmBroker> {
  const bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1', `--address=unix:dir=${dir}`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    bus.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
    });
    bus.once('exit', () => reject(new Error(`dbus-daemon exited: ${out}`)));
  });
  process.env.DBUS_SESSION_BUS_ADDRESS = address;
  const abrmd = spawn('tpm2-abrmd', ['--session', '--allow-root', '--flush-all', `--tcti=${tpm.tcti}`], {
    stdio: 'ignore',
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address },
  });
  const tcti = 'tabrmd:bus_type=session';
  const tool = await readyTool(dir, { ...process.env, TPM2TOOLS_TCTI: tcti, DBUS_SESSION_BUS_ADDRESS: address });
  const stopChild = async (child: ChildProcess): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
  };
  return {
    tcti,
    tool,
    publicKeyPem: publicKeyPemOf(dir, tool),
    pids: [bus.pid ?? 0, abrmd.pid ?? 0],
    stop: async () => {
      await stopChild(abrmd);
      await stopChild(bus);
      delete process.env.DBUS_SESSION_BUS_ADDRESS;
    },
  };
}

/**
 * IDevID certificates for the EC and RSA keys at {@link EC_HANDLE} / {@link RSA_HANDLE}: CSRs the
 * TPM signed (through the tpm2 DeviceKey over `tcti`), issued by the test PKI's manufacturer CA
 * with the device certificate's subject. Returns the PEM paths (the DER CSRs are `<dir>/<k>.csr`).
 */
export async function issueTpmCertificates(
  dir: string,
  pki: TestPki,
  tcti: string,
  publicKeyPem: (handle: string) => string,
): Promise<Record<'ec' | 'rsa', string>> {
  const certs: Record<'ec' | 'rsa', string> = { ec: '', rsa: '' };
  const template = certDer(pki.device.cert);
  for (const [k, handle, usage] of [
    ['ec', EC_HANDLE, 'keyAgreement'],
    ['rsa', RSA_HANDLE, 'keyEncipherment'],
  ] as const) {
    const spki = new Uint8Array(createPublicKey(publicKeyPem(handle)).export({ type: 'spki', format: 'der' }));
    const key = tpm2DeviceKey({ handle, tcti, timeoutMs: 10_000, type: k });
    const csr = await signCsr({}, template, { key, spki });
    writeFileSync(join(dir, `${k}.csr`), csr);
    writeFileSync(
      join(dir, `${k}.ext`),
      `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,${usage}\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\n`,
    );
    certs[k] = join(dir, `${k}.crt`);
    openssl(['req', '-inform', 'DER', '-in', join(dir, `${k}.csr`), '-out', join(dir, `${k}.csr.pem`)]);
    openssl([
      'x509',
      '-req',
      '-in',
      join(dir, `${k}.csr.pem`),
      '-CA',
      pki.manufacturer.cert,
      '-CAkey',
      pki.manufacturer.key,
      '-CAcreateserial',
      '-out',
      certs[k],
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      join(dir, `${k}.ext`),
    ]);
  }
  return certs;
}
