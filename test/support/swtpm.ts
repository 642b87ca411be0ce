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
  const env = { ...process.env, TPM2TOOLS_TCTI: tcti };
  const tool = (args: readonly string[], input?: Uint8Array): Buffer =>
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
      break;
    } catch (err) {
      if (i > 50) throw err;
      await sleep(100);
    }
  }
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
    publicKeyPem: (handle) => {
      tool(['tpm2_readpublic', '-c', handle, '-f', 'pem', '-o', 'pub.pem']);
      return readFileSync(join(dir, 'pub.pem'), 'utf8');
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(3000)]);
      }
    },
  };
}
