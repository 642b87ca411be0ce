/**
 * `sztp-agent run` with a `pkcs11:` IDevID key: Node 20 lets node:tls use the PKCS#11 engine only
 * when OpenSSL pre-loaded it from the configuration read at process start. So the agent writes
 * that configuration (src/platform/openssl-engine.ts) and runs itself again as a child with
 * OPENSSL_CONF pointing at it; this process only waits. It passes SIGTERM, SIGINT and SIGHUP on,
 * and should the child still run STOP_DEADLINE_MS after a stop signal (a token that hangs inside a
 * TLS handshake blocks the child's event loop, and with it the child's own backstop), it kills the
 * child with SIGKILL and exits: "SIGTERM ends the agent within 5 s" holds even then. Without a
 * stop signal the same hang would last for ever, so the child also sends a heartbeat over an IPC
 * channel every second (`startEngineHeartbeat`); when none arrives for `watchdogMs(config)` the
 * parent logs SZTP_ERR_DEVICE_KEY_TIMEOUT, kills the child and exits 1 (init starts it again).
 * @module
 */
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/types.ts';
import { EXIT } from '../contracts/exit-codes.ts';
import { keyRefOf } from '../platform/device-key-ref.ts';
import {
  defaultEnginePath,
  engineConfigFile,
  engineLoadedInProcess,
  ENGINE_MODULE_ENV,
} from '../platform/openssl-engine.ts';
import { STOP_DEADLINE_MS } from './stop-deadline.ts';

/** The PKCS#11 module this configuration needs pre-loaded in-process, when this process lacks it. */
export function engineRestartNeeded(config: AgentConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { idevidKey, pkcs11Module } = config.device;
  if (idevidKey === undefined || keyRefOf(idevidKey).kind !== 'pkcs11' || pkcs11Module === undefined) return undefined;
  return engineLoadedInProcess(pkcs11Module, env) ? undefined : pkcs11Module;
}

/** Heartbeat period of the child, and the silence after which the parent gives it up. */
const HEARTBEAT_MS = 1000;
export function watchdogMs(config: AgentConfig): number {
  return Math.max(5000, 3 * config.device.keyTimeoutSeconds * 1000);
}

/**
 * In the child started by runWithEngine: a heartbeat to the parent every second, as long as the
 * event loop turns. Neither the timer nor the channel keeps the process alive.
 */
export function startEngineHeartbeat(env: NodeJS.ProcessEnv = process.env): void {
  const send = process.send?.bind(process);
  if (send === undefined || env[ENGINE_MODULE_ENV] === undefined) return;
  const beat = (): void => {
    if (process.connected) send('alive', undefined, {}, () => undefined);
  };
  beat();
  setInterval(beat, HEARTBEAT_MS).unref();
  process.channel?.unref();
}

/** The arguments that run this same command again with process.execPath (node + script, or the single executable). */
async function selfArgv(): Promise<string[]> {
  // A single executable (scripts/package-sea.ts) is its own script: node puts its path in argv[1] itself.
  const sea = await import('node:sea').then(
    (m) => m.isSea(),
    () => false,
  );
  return sea ? process.argv.slice(2) : [...process.execArgv, ...process.argv.slice(1)];
}

/** Runs this same command again with the engine configuration; resolves with the child's exit code. */
export async function runWithEngine(config: AgentConfig, module: string, log: Logger): Promise<number> {
  const conf = await engineConfigFile(config.device.pkcs11Engine ?? defaultEnginePath(), module);
  const argv = await selfArgv();
  const child = spawn(process.execPath, argv, {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, OPENSSL_CONF: conf, [ENGINE_MODULE_ENV]: module },
  });
  log.info(
    { opensslConf: conf, module, pid: child.pid },
    'pkcs11: IDevID key: running the agent with the PKCS#11 engine pre-loaded',
  );
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  let killer: NodeJS.Timeout | undefined;
  const pass = (sig: NodeJS.Signals): void => {
    child.kill(sig);
    if (sig !== 'SIGHUP' && killer === undefined) {
      killer = setTimeout(() => {
        log.error(
          { code: 'SZTP_ERR_ABORTED', pid: child.pid },
          `agent still running ${STOP_DEADLINE_MS} ms after ${sig}: killed`,
        );
        child.kill('SIGKILL');
      }, STOP_DEADLINE_MS);
    }
  };
  for (const s of signals) process.on(s, pass);
  let lastBeat = Date.now();
  child.on('message', () => {
    lastBeat = Date.now();
  });
  const silence = watchdogMs(config);
  let watchdog: NodeJS.Timeout | undefined;
  let stalled = false;
  try {
    return await new Promise<number>((resolve) => {
      watchdog = setInterval(() => {
        if (Date.now() - lastBeat <= silence) return;
        log.error(
          { code: 'SZTP_ERR_DEVICE_KEY_TIMEOUT', pid: child.pid, silentMs: Date.now() - lastBeat },
          'agent stopped answering (a PKCS#11 token hanging inside a TLS handshake?): killed; init starts it again',
        );
        clearInterval(watchdog);
        stalled = true;
        child.kill('SIGKILL');
        // Reaped on 'exit' below; should even that not come, exit anyway.
        setTimeout(() => {
          resolve(EXIT.failed);
        }, 2000).unref();
      }, HEARTBEAT_MS);
      child.on('error', (err) => {
        log.error({ code: 'SZTP_ERR_INTERNAL', err: err.message }, 'cannot run the agent with the PKCS#11 engine');
        resolve(EXIT.failed);
      });
      child.on('exit', (code) => {
        resolve(stalled ? EXIT.failed : (code ?? EXIT.failed));
      });
    });
  } finally {
    clearInterval(watchdog);
    if (killer !== undefined) clearTimeout(killer);
    for (const s of signals) process.off(s, pass);
  }
}
