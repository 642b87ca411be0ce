/**
 * One DHCP request/response exchange on a `node:dgram` socket with retransmission: the request
 * is re-sent with an exponentially growing, jittered interval (RFC 2131 §4.1: 4 s doubling up
 * to 64 s; RFC 8415 §15: IRT doubling up to MRT) until a matching reply is accepted, the overall
 * deadline passes (SZTP_ERR_DHCP_TIMEOUT) or the signal aborts (SZTP_ERR_ABORTED).
 * @module
 */
import type { Socket } from 'node:dgram';
import type { Logger } from 'pino';
import { SztpError } from '../errors.ts';

/** What the DHCPv4 and the DHCPv6 client both take (./client-v4.ts, ./client-v6.ts). */
export interface DhcpClientBase {
  readonly ifname: string;
  readonly mac: Uint8Array;
  readonly timeoutMs: number;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** Tests: the socket's address and ports, and where requests go (defaults: the protocol's). */
  readonly transport?: {
    readonly bindAddress?: string;
    readonly clientPort?: number;
    readonly serverPort?: number;
    readonly destination?: string;
  };
  /** First retransmission interval (default: the protocol's; smaller for short deadlines). */
  readonly initialRetransmitMs?: number;
  readonly random?: () => number;
  readonly now?: () => number;
}

export interface RetransmitTiming {
  /** First retransmission interval. */
  readonly initialMs: number;
  /** Cap of the interval. */
  readonly maxMs: number;
  /** Absolute deadline (ms since epoch, same clock as `now`). */
  readonly deadline: number;
  /** Returns a number in [0, 1) (jitter source). */
  readonly random: () => number;
  readonly now: () => number;
}

/**
 * Sends with `send()` and waits for a datagram that `accept` maps to a value (undefined = not
 * ours, keep waiting). `accept` must not throw: hostile replies are ignored, not fatal.
 */
export function transact<T>(
  socket: Socket,
  send: () => Promise<void>,
  accept: (msg: Buffer) => T | undefined,
  timing: RetransmitTiming,
  what: string,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let interval = timing.initialMs;
    let retransmitTimer: NodeJS.Timeout | undefined;
    let attempts = 0;
    const finish = (err: SztpError | undefined, value?: T): void => {
      clearTimeout(retransmitTimer);
      clearTimeout(deadlineTimer);
      socket.off('message', onMessage);
      signal?.removeEventListener('abort', onAbort);
      if (err !== undefined) reject(err);
      else resolve(value as T);
    };
    const onMessage = (msg: Buffer): void => {
      const v = accept(msg);
      if (v !== undefined) finish(undefined, v);
    };
    const onAbort = (): void => {
      finish(new SztpError('SZTP_ERR_ABORTED', `${what}: aborted`, { stage: 'dhcp' }));
    };
    const fire = (): void => {
      attempts++;
      send().catch((err: unknown) => {
        const code = (err as { code?: unknown }).code;
        finish(new SztpError('SZTP_ERR_DHCP_SOCKET', `${what}: send failed (${String(code ?? err)})`, { cause: err }));
      });
      // RFC 2131 §4.1: randomise by ±1 s around the doubling interval (here ±10 %, min 1 ms).
      const jittered = Math.max(1, Math.round(interval * (0.9 + 0.2 * timing.random())));
      interval = Math.min(interval * 2, timing.maxMs);
      retransmitTimer = setTimeout(fire, jittered);
    };
    const remaining = Math.max(0, timing.deadline - timing.now());
    const deadlineTimer = setTimeout(() => {
      finish(
        new SztpError('SZTP_ERR_DHCP_TIMEOUT', `${what}: no reply after ${attempts} transmission(s)`, {
          evidence: { attempts },
        }),
      );
    }, remaining);
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('message', onMessage);
    fire();
  });
}
