/**
 * The backstop of "SIGTERM ends the agent within 5 s": every wait is bounded and aborts on the
 * stop signal, so a normal stop takes far less. Should anything still hold the process
 * STOP_DEADLINE_MS after the signal, the children it started are killed and the process exits.
 * No state needs saving then: every change was written atomically when it happened.
 * @module
 */
import type { Logger } from 'pino';
import { EXIT } from '../contracts/exit-codes.ts';
import { killLiveChildrenSync } from '../platform/children.ts';

export const STOP_DEADLINE_MS = 4000;

/** Arms the backstop (an unref'd timer: it never keeps a finished process alive). */
export function armStopDeadline(log: Logger, ms = STOP_DEADLINE_MS): void {
  setTimeout(() => {
    log.error(
      { code: 'SZTP_ERR_ABORTED', deadlineMs: ms },
      `still busy ${ms} ms after the stop signal: killing children and exiting`,
    );
    killLiveChildrenSync();
    process.exit(EXIT.ok);
  }, ms).unref();
}
