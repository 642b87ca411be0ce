/**
 * The OpenSSL configuration that pre-loads the PKCS#11 engine (libp11) for a `pkcs11:` IDevID key.
 * Node 20 finds an engine for `privateKeyEngine` only when the configuration read at process start
 * loaded it (a dynamic load by path works once per process, then fails); `openssl pkeyutl`
 * children read the same file. The file names the engine and the module, never a PIN. It sets no
 * `default_algorithms`, so every other use of crypto stays in OpenSSL's default provider.
 * @module
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SztpError } from '../errors.ts';

/** Set (with OPENSSL_CONF) in the environment of an agent started with the engine: the module it loaded. */
export const ENGINE_MODULE_ENV = 'SZTP_PKCS11_ENGINE_MODULE';

const MULTIARCH: Readonly<Record<string, string>> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  riscv64: 'riscv64-linux-gnu',
};

/** Where distributions install libp11's engine (Debian: libengine-pkcs11-openssl). */
export function defaultEnginePath(): string {
  const candidates = [
    ...(MULTIARCH[process.arch] === undefined ? [] : [`/usr/lib/${MULTIARCH[process.arch]}/engines-3/pkcs11.so`]),
    '/usr/lib64/engines-3/pkcs11.so',
    '/usr/lib/engines-3/pkcs11.so',
  ];
  return candidates.find((p) => existsSync(p)) ?? candidates[0] ?? '/usr/lib/engines-3/pkcs11.so';
}

/** The configuration text; both the `openssl` CLI (openssl_conf) and Node (nodejs_conf) read it. */
export function engineConfigText(engine: string, module: string): string {
  for (const p of [engine, module]) {
    // OpenSSL expands $VAR and stops at a newline: such a path cannot be written safely.
    if (/[\n\r$"\\#]/.test(p))
      throw new SztpError(
        'SZTP_ERR_CONFIG_VALUE',
        `path ${JSON.stringify(p)} cannot be written into an OpenSSL configuration`,
      );
  }
  return [
    'openssl_conf = sztp_init',
    'nodejs_conf = sztp_init',
    '[sztp_init]',
    'engines = sztp_engines',
    '[sztp_engines]',
    'pkcs11 = sztp_pkcs11',
    '[sztp_pkcs11]',
    'engine_id = pkcs11',
    `dynamic_path = ${engine}`,
    `MODULE_PATH = ${module}`,
    'init = 0',
    '',
  ].join('\n');
}

const written = new Map<string, Promise<string>>();

/** The path of the configuration for (engine, module), written once per process into a private directory. */
export function engineConfigFile(engine: string, module: string): Promise<string> {
  const key = `${engine}\n${module}`;
  let file = written.get(key);
  if (file === undefined) {
    file = (async () => {
      const text = engineConfigText(engine, module);
      const dir = await mkdtemp(join(tmpdir(), 'sztp-engine-'));
      process.once('exit', () => {
        rmSync(dir, { recursive: true, force: true });
      });
      const path = join(dir, 'openssl.cnf');
      await writeFile(path, text, { mode: 0o600 });
      return path;
    })();
    written.set(key, file);
  }
  return file;
}

/** True when this process was started with the engine configuration for `module`. */
export function engineLoadedInProcess(module: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return env[ENGINE_MODULE_ENV] === module && env.OPENSSL_CONF !== undefined && env.OPENSSL_CONF !== '';
}
