/**
 * Waiting for removable storage at first boot (`[USB] settle_seconds`). An init system starts the
 * agent as soon as the network is up, which can be before the USB stack has enumerated a stick
 * (under emulation the stick's block device appeared up to 13 s after the agent started). Without
 * a wait the first pass would miss the stick and go on to the network fetchers.
 *
 * The rule, bounded by the system's uptime so that it costs nothing once the machine has been up
 * for a while (later passes, an agent restarted long after boot):
 * - while uptime < settle_seconds, `/sys/block` is polled until a removable disk with a medium has
 *   appeared and the set of such disks has stayed the same for QUIET_MS (a second stick that is
 *   still being enumerated gets that long to show up);
 * - when uptime reaches settle_seconds, the devices found so far are used (possibly none);
 * - settle_seconds = 0, or an unreadable uptime, means no wait.
 * The wait ends at once with SZTP_ERR_ABORTED when the agent is stopped.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { SztpError } from '../errors.ts';
import type { RemovableDevice } from './usb-mount.ts';

/** How long the set of removable disks must stay unchanged before it counts as settled. */
export const QUIET_MS = 1000;
/** Poll interval of `/sys/block`. */
export const POLL_MS = 250;

export interface SettleDeps {
  /** Seconds since boot, or undefined when unknown. */
  readonly uptimeSeconds: () => Promise<number | undefined>;
  readonly discover: () => Promise<RemovableDevice[]>;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly now: () => number;
}

/** Reads the first field of /proc/uptime. */
export async function procUptime(path = '/proc/uptime'): Promise<number | undefined> {
  try {
    const value = Number.parseFloat((await readFile(path, 'utf8')).split(/\s/)[0] ?? '');
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export const realSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  sleep(ms, undefined, { signal }).then(
    () => undefined,
    () => undefined,
  );

const key = (devices: readonly RemovableDevice[]): string => devices.map((d) => d.devPath).join(',');

/** Removable devices once they have settled (see the module comment). */
export async function settleRemovable(
  settleSeconds: number,
  deps: SettleDeps,
  signal: AbortSignal,
  log: Logger,
): Promise<RemovableDevice[]> {
  let devices = await deps.discover();
  if (settleSeconds <= 0) return devices;
  const uptime = await deps.uptimeSeconds();
  if (uptime === undefined || uptime >= settleSeconds) return devices;
  const start = deps.now();
  const deadline = start + (settleSeconds - uptime) * 1000;
  let changedAt = start;
  log.info(
    { uptimeSeconds: uptime, settleSeconds, devices: devices.map((d) => d.devPath) },
    'usb: waiting for removable storage to settle after boot',
  );
  for (;;) {
    if (signal.aborted) throw new SztpError('SZTP_ERR_ABORTED', 'stopped while waiting for removable storage');
    const now = deps.now();
    if (devices.length > 0 && now - changedAt >= QUIET_MS) break;
    if (now >= deadline) break;
    await deps.sleep(Math.min(POLL_MS, Math.max(0, deadline - now)), signal);
    const next = await deps.discover();
    if (key(next) !== key(devices)) changedAt = deps.now();
    devices = next;
  }
  log.info({ waitedMs: deps.now() - start, devices: devices.map((d) => d.devPath) }, 'usb: removable storage settled');
  return devices;
}
