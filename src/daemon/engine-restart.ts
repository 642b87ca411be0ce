/**
 * `sztp-agent run` with a `pkcs11:` IDevID key: Node 20 lets node:tls use the PKCS#11 engine only
 * when OpenSSL pre-loaded it from the configuration read at process start. So the agent writes
 * that configuration (src/platform/openssl-engine.ts) and runs itself again as a child with
 * OPENSSL_CONF pointing at it; this process only waits. It passes SIGTERM, SIGINT and SIGHUP on,
 * and should the child still run STOP_DEADLINE_MS after a stop signal (a token that hangs inside a
 * TLS handshake blocks the child's event loop, and with it the child's own backstop), it kills the
 * child with SIGKILL and exits: "SIGTERM ends the agent within 5 s" holds even then.
 * @module
 */
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/types.ts';
import { EXIT } from '../contracts/exit-codes.ts';
import { keyRefOf } from '../platform/device-key-ref.ts';
import { defaultEnginePath, engineConfigFile, engineLoadedInProcess, ENGINE_MODULE_ENV } from '../platform/openssl-engine.ts';
import { STOP_DEADLINE_MS } from './stop-deadline.ts';

/** The PKCS#11 module this configuration needs pre-loaded in-process, when this process lacks it. */
export function engineRestartNeeded(config: AgentConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { idevidKey, pkcs11Module } = config.device;
  if (idevidKey === undefined || keyRefOf(idevidKey).kind !== 'pkcs11' || pkcs11Module === undefined) return undefined;
  return engineLoadedInProcess(pkcs11Module, env) ? undefined : pkcs11Module;
}

/** The arguments that run this same command again with process.execPath (node + script, or the single executable). */
async function selfArgv(): Promise<string[]> {
  // A single executable (scripts/package-sea.ts) is its own script: node puts its path in argv[1] itself.
  const sea = await import('node:sea').then((m) => m.isSea(), () => false);
  return sea ? process.argv.slice(2) : [...process.execArgv, ...process.argv.slice(1)];
}

/** Runs this same command again with the engine configuration; resolves with the child's exit code. */
export async function runWithEngine(config: AgentConfig, module: string, log: Logger): Promise<number> {
  const conf = await engineConfigFile(config.device.pkcs11Engine ?? defaultEnginePath(), module);
  const argv = await selfArgv();
  const child = spawn(process.execPath, argv, { stdio: 'inherit', env: { ...process.env, OPENSSL_CONF: conf, [ENGINE_MODULE_ENV]: module } });
  log.info({ opensslConf: conf, module, pid: child.pid }, 'pkcs11: IDevID key: running the agent with the PKCS#11 engine pre-loaded');
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  let killer: NodeJS.Timeout | undefined;
  const pass = (sig: NodeJS.Signals): void => {
    child.kill(sig);
    if (sig !== 'SIGHUP' && killer === undefined) {
      killer = setTimeout(() => {
        log.error({ code: 'SZTP_ERR_ABORTED', pid: child.pid }, `agent still running ${STOP_DEADLINE_MS} ms after ${sig}: killed`);
        child.kill('SIGKILL');
      }, STOP_DEADLINE_MS);
    }
  };
  for (const s of signals) process.on(s, pass);
  try {
    return await new Promise<number>((resolve) => {
      child.on('error', (err) => {
        log.error({ code: 'SZTP_ERR_INTERNAL', err: err.message }, 'cannot run the agent with the PKCS#11 engine');
        resolve(EXIT.failed);
      });
      child.on('exit', (code) => { resolve(code ?? EXIT.failed); });
    });
  } finally {
    if (killer !== undefined) clearTimeout(killer);
    for (const s of signals) process.off(s, pass);
  }
}
