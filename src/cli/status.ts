/**
 * `sztp-agent status [--json]`: the phase (factory-default, in-progress, rebooting,
 * bootstrap-complete, disabled), which backend holds the IDevID key (file, pkcs11, tpm2), the source in use, the last error (code and message) and the
 * history of RFC 8572 progress types with their times, read from the state store. Every stored
 * text (messages may quote servers, DHCP options or certificates) is printed inert (src/lib/inert-text.ts).
 * @module
 */
import { Command } from 'commander';
import { createLogger } from '../log/logger.ts';
import { inert } from '../lib/inert-text.ts';
import { keyBackendOf } from '../platform/device-key-ref.ts';
import { displayPhase } from '../state/machine.ts';
import type { AgentState } from '../state/types.ts';
import { openStore } from '../daemon/open.ts';
import { EXIT, cliLogger, loadGlobalConfig, type CliContext } from './context.ts';

/** The `status --json` document. */
export function statusDocument(state: AgentState, idevidKey?: string): Record<string, unknown> {
  return {
    phase: displayPhase(state),
    idevidKey: keyBackendOf(idevidKey) ?? null,
    secureMode: state.secureMode,
    source: state.source === undefined ? null : inert(state.source),
    lastError: state.lastError === undefined ? null : { ...state.lastError, message: inert(state.lastError.message) },
    events: state.events.map((e) => ({
      progressType: e.progressType,
      time: e.time,
      message: inert(e.message ?? ''),
      ...(e.source === undefined ? {} : { source: inert(e.source) }),
    })),
    journal:
      state.journal === undefined
        ? null
        : {
            digest: state.journal.digest,
            source: inert(state.journal.source),
            completedSteps: state.journal.completedSteps,
          },
    updatedAt: state.updatedAt ?? null,
  };
}

function text(state: AgentState, idevidKey?: string): string {
  const key = keyBackendOf(idevidKey);
  const lines = [
    `phase:       ${displayPhase(state)}`,
    `idevid-key:  ${key === undefined ? '-' : `${key.backend} ${inert(key.key)}`}`,
    `secure-mode: ${state.secureMode ? 'enabled' : 'disabled'}`,
    `source:      ${state.source === undefined ? '-' : inert(state.source)}`,
    `last error:  ${state.lastError === undefined ? '-' : `${state.lastError.code}: ${inert(state.lastError.message)} (${state.lastError.time})`}`,
    `events:      ${state.events.length === 0 ? '-' : ''}`,
    ...state.events.map(
      (e) =>
        `  ${e.time}  ${e.progressType}${e.message === undefined || e.message === '' ? '' : `  ${inert(e.message)}`}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

export function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .description('show the bootstrapping state, the last error and the progress history')
    .option('--json', 'print JSON (events: [{progressType, time, message}])')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = await loadGlobalConfig(cmd);
      const log =
        ctx.io.logDestination === undefined
          ? cliLogger(ctx, cmd, config)
          : createLogger({ level: 'warn', destination: ctx.io.logDestination });
      const state = await openStore(config, log).read();
      ctx.io.stdout(
        opts.json === true
          ? `${JSON.stringify(statusDocument(state, config.device.idevidKey), null, 2)}\n`
          : text(state, config.device.idevidKey),
      );
      ctx.exit(EXIT.ok);
    });
}
