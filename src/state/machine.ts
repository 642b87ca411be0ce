/**
 * Pure state transitions of the agent (no I/O): the initial factory-default state, the phase
 * shown by `status` (the SZTP flag off shows as `disabled`, RFC 8572 §5.1), recording errors and
 * progress events (bounded history), and the shape check applied to a state file when read.
 * @module
 */
import type { SztpErrorCode } from '../errors.ts';
import { ERROR_CATALOGUE } from '../errors.ts';
import { isProgressType } from '../progress/progress-type.ts';
import { STATE_SCHEMA_VERSION, type AgentPhase, type AgentState, type RecordedEvent } from './types.ts';

/** Most events kept; older ones are dropped first. */
export const MAX_EVENTS = 500;

const PHASES: readonly AgentPhase[] = ['factory-default', 'in-progress', 'rebooting', 'bootstrap-complete', 'disabled'];

/** A factory-default device: SZTP flag enabled, nothing happened yet. */
export function initialState(): AgentState {
  return { schemaVersion: STATE_SCHEMA_VERSION, secureMode: true, phase: 'factory-default', events: [] };
}

/** The phase `status` reports. */
export function displayPhase(state: AgentState): AgentPhase {
  return state.secureMode ? state.phase : 'disabled';
}

/** Sets the SZTP flag; turning it off records by whom (an onboarding script's own choice does not stop its onboarding). */
export function withSecureMode(
  state: AgentState,
  enabled: boolean,
  by: 'operator' | 'onboarding' = 'operator',
): AgentState {
  const { secureModeOffBy: _previous, ...rest } = state;
  return enabled ? { ...rest, secureMode: true } : { ...rest, secureMode: false, secureModeOffBy: by };
}

export function withPhase(state: AgentState, phase: AgentPhase, source?: string): AgentState {
  return source === undefined ? { ...state, phase } : { ...state, phase, source };
}

export function withError(state: AgentState, code: SztpErrorCode, message: string, now: Date): AgentState {
  return { ...state, lastError: { code, message, time: now.toISOString() } };
}

/** Appends one event, keeping at most `max` (the newest). */
export function withEvent(state: AgentState, event: RecordedEvent, max = MAX_EVENTS): AgentState {
  return boundEvents({ ...state, events: [...state.events, event] }, max);
}

/** Keeps at most `max` events (the newest). */
export function boundEvents(state: AgentState, max = MAX_EVENTS): AgentState {
  return state.events.length > max ? { ...state, events: state.events.slice(state.events.length - max) } : state;
}

export type ShapeCheck = { ok: true; state: AgentState } | { ok: false; reason: string; schema?: number };

/** Checks a parsed state document; a different schema version is reported separately. */
export function checkShape(doc: unknown): ShapeCheck {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ok: false, reason: 'not a JSON object' };
  const d = doc as Record<string, unknown>;
  if (typeof d.schemaVersion !== 'number') return { ok: false, reason: 'schemaVersion missing' };
  if (d.schemaVersion !== STATE_SCHEMA_VERSION)
    return { ok: false, reason: `schemaVersion ${d.schemaVersion}`, schema: d.schemaVersion };
  if (typeof d.secureMode !== 'boolean') return { ok: false, reason: 'secureMode is not a boolean' };
  if (typeof d.phase !== 'string' || !(PHASES as readonly string[]).includes(d.phase))
    return { ok: false, reason: 'unknown phase' };
  if (!Array.isArray(d.events)) return { ok: false, reason: 'events is not an array' };
  for (const e of d.events as unknown[]) {
    const ev = e as Record<string, unknown> | null;
    if (
      typeof ev !== 'object' ||
      ev === null ||
      typeof ev.progressType !== 'string' ||
      !isProgressType(ev.progressType) ||
      typeof ev.time !== 'string'
    ) {
      return { ok: false, reason: 'malformed event' };
    }
  }
  if (d.lastError !== undefined) {
    const le = d.lastError as Record<string, unknown> | null;
    if (
      typeof le !== 'object' ||
      le === null ||
      typeof le.code !== 'string' ||
      !(le.code in ERROR_CATALOGUE) ||
      typeof le.message !== 'string'
    ) {
      return { ok: false, reason: 'malformed lastError' };
    }
  }
  if (
    d.journal !== undefined &&
    (typeof d.journal !== 'object' ||
      d.journal === null ||
      typeof (d.journal as Record<string, unknown>).digest !== 'string')
  ) {
    return { ok: false, reason: 'malformed journal' };
  }
  return { ok: true, state: doc as AgentState };
}
