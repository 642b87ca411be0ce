/**
 * The pino root logger: JSON lines on stderr through a synchronous destination (a daemon that is
 * killed or reboots must not lose its last lines; stdout stays clean for `--json` output), secrets
 * redacted (key material, configuration and scripts of onboarding information), and `room()` for
 * one child logger per room (`{"room":"daemon"}`). Errors are logged as `{ code, err }`.
 * @module
 */
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

export type { Logger };

/** The log levels of `[Agent] log_level` and `--log-level` (pino's levels plus `silent`). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const satisfies readonly (
  Level | 'silent'
)[];
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Field names whose values never reach a log line, at any depth up to three levels. */
const SECRET_FIELDS = [
  'key',
  'privateKey',
  'privateKeyPkcs8',
  'privateKeyPem',
  'password',
  'passphrase',
  'secret',
  'token',
  'configuration',
  'preConfigurationScript',
  'postConfigurationScript',
  'pre-configuration-script',
  'post-configuration-script',
];

export const REDACT_PATHS: readonly string[] = SECRET_FIELDS.flatMap((f) => {
  const p = /^[A-Za-z_$][\w$]*$/.test(f) ? f : `["${f}"]`;
  const dot = p.startsWith('[') ? '' : '.';
  return [p, `*${dot}${p}`, `*.*${dot}${p}`];
});

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** File descriptor (default 2, stderr) or a stream (tests). */
  readonly destination?: number | DestinationStream;
}

/** Creates the root logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const dest = options.destination ?? 2;
  const stream = typeof dest === 'number' ? pino.destination({ dest, sync: true }) : dest;
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS], censor: '[Redacted]' },
    },
    stream,
  );
}

/** The child logger of one room (`daemon`, `config`, `usb`, `dhcp`, ...). */
export function room(log: Logger, name: string): Logger {
  return log.child({ room: name });
}
