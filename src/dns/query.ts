/**
 * DNS queries for the DNS source (RFC 8572 §4.2.1), on `node:dgram` / `node:net`:
 * - unicast: UDP to one resolver (socket connected to it, so the kernel drops datagrams from any
 *   other address or port), EDNS(0) with a 4096-octet payload, re-sent every second; a truncated
 *   answer is asked again over TCP (RFC 7766; signed data rarely fits UDP, C-034);
 * - multicast: a one-shot mDNS query (RFC 6762 §5.1) from an ephemeral port on one interface
 *   (224.0.0.251 or ff02::fb, port 5353, QU bit), answered by unicast (§6.7). Replies must come from
 *   port 5353 (§6) and from an address on that interface's link (§11); others are ignored.
 *
 * A reply counts only when it is a response with our ID and our question; anything else
 * (malformed, another ID, another question) is ignored and the wait goes on. Every wait ends at
 * the deadline (SZTP_ERR_DNS_TIMEOUT) or when the signal aborts (SZTP_ERR_ABORTED).
 * @module
 */
import { randomInt } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP, connect as tcpConnect } from 'node:net';
import { SztpError } from '../errors.ts';
import { DNS_TYPE, decodeDnsMessage, ednsOpt, encodeDnsMessage, sameName, type DnsMessage } from './codec.ts';

export const MDNS_PORT = 5353;
export const MDNS_GROUP = { 4: '224.0.0.251', 6: 'ff02::fb' } as const;
/** Interval between re-sent queries. */
const RESEND_MS = 1000;

export interface QueryCommon {
  readonly name: string;
  readonly type: number;
  /** Absolute deadline, ms since the epoch. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  /** Called with each datagram that was ignored and why (for debug logs). */
  readonly onIgnored?: (why: string) => void;
}

export interface UnicastQuery extends QueryCommon {
  readonly server: { readonly host: string; readonly port: number };
}

export interface MdnsQuery extends QueryCommon {
  readonly ifname: string;
  readonly family: 4 | 6;
  /** This interface's address the socket binds to (IPv6: link-local, without scope). */
  readonly localAddress: string;
  /** True when a reply from `address` comes from this interface's link. */
  readonly onLink: (address: string) => boolean;
}

/** Whether `buf` answers query `id` for `name`/`type`; the decoded message, or why not. */
function matching(buf: Uint8Array, id: number, name: string, type: number): DnsMessage | string {
  let m: DnsMessage;
  try {
    m = decodeDnsMessage(buf);
  } catch (err) {
    return err instanceof Error ? err.message : 'malformed';
  }
  if (!m.qr) return 'not a response';
  if (m.id !== id) return `ID ${m.id} is not ours`;
  const q = m.questions[0];
  if (m.questions.length !== 1 || q === undefined || q.type !== type || !sameName(q.name, name))
    return 'not our question';
  return m;
}

function abortError(what: string): SztpError {
  return new SztpError('SZTP_ERR_ABORTED', `${what}: aborted`, { stage: 'dns' });
}

/**
 * Waits on `socket` for a datagram that `accept` turns into a result, re-sending with `send`
 * every second, until `deadline` or abort. The socket is closed at the end.
 */
function exchange<T>(
  socket: Socket,
  send: () => void,
  accept: (msg: Buffer, rinfo: RemoteInfo) => T | undefined,
  q: QueryCommon,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let resendTimer: NodeJS.Timeout | undefined;
    const finish = (err: SztpError | undefined, value?: T): void => {
      clearTimeout(resendTimer);
      clearTimeout(deadlineTimer);
      q.signal.removeEventListener('abort', onAbort);
      socket.off('message', onMessage);
      socket.close();
      if (err === undefined) resolve(value as T);
      else reject(err);
    };
    const onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
      const v = accept(msg, rinfo);
      if (v !== undefined) finish(undefined, v);
    };
    const onAbort = (): void => {
      finish(abortError(what));
    };
    const fire = (): void => {
      send();
      resendTimer = setTimeout(fire, RESEND_MS);
    };
    const deadlineTimer = setTimeout(
      () => {
        finish(new SztpError('SZTP_ERR_DNS_TIMEOUT', `${what}: no answer before the deadline`));
      },
      Math.max(0, q.deadline - Date.now()),
    );
    if (q.signal.aborted) {
      onAbort();
      return;
    }
    q.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('message', onMessage);
    fire();
  });
}

function socketError(what: string, err: unknown): SztpError {
  const code = (err as { code?: unknown }).code;
  return new SztpError('SZTP_ERR_DNS_SOCKET', `${what}: ${String(code ?? err)}`, { cause: err });
}

async function bound(family: 4 | 6, address: string | undefined, what: string): Promise<Socket> {
  const socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6', ipv6Only: family === 6 });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: 0, ...(address === undefined ? {} : { address }) }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    socket.close();
    throw socketError(what, err);
  }
  socket.on('error', () => undefined);
  return socket;
}

/** One unicast query (RFC 1035 §4.2.1 UDP, then TCP when the answer was truncated). */
export async function queryUnicast(q: UnicastQuery): Promise<DnsMessage> {
  const { host, port } = q.server;
  const what = `DNS ${q.type === DNS_TYPE.TXT ? 'TXT' : 'SRV'} query to ${host}:${port}`;
  const family = isIP(host) === 6 ? 6 : 4;
  const id = randomInt(0x10000);
  const query = encodeDnsMessage({
    id,
    rd: true,
    questions: [{ name: q.name, type: q.type, qclass: 1 }],
    additionals: [ednsOpt(4096)],
  });
  const socket = await bound(family, undefined, what);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    socket.close();
    throw socketError(what, err);
  }
  const answer = await exchange(
    socket,
    () => {
      socket.send(query);
    },
    (msg) => {
      const m = matching(msg, id, q.name, q.type);
      if (typeof m === 'string') {
        q.onIgnored?.(m);
        return undefined;
      }
      return m;
    },
    q,
    what,
  );
  return answer.tc ? queryTcp(q) : answer;
}

/** Upper bound of a DNS-over-TCP message (two-octet length prefix). */
const TCP_MAX = 0xffff;

/** The same question over TCP (RFC 7766), within the same deadline. */
function queryTcp(q: UnicastQuery): Promise<DnsMessage> {
  const { host, port } = q.server;
  const what = `DNS query over TCP to ${host}:${port}`;
  const id = randomInt(0x10000);
  const query = encodeDnsMessage({ id, rd: true, questions: [{ name: q.name, type: q.type, qclass: 1 }] });
  return new Promise<DnsMessage>((resolve, reject) => {
    const sock = tcpConnect({ host, port });
    let received = Buffer.alloc(0);
    const finish = (err: SztpError | undefined, m?: DnsMessage): void => {
      clearTimeout(timer);
      q.signal.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err === undefined && m !== undefined) resolve(m);
      else reject(err ?? new SztpError('SZTP_ERR_DNS_DECODE', `${what}: no message`));
    };
    const onAbort = (): void => {
      finish(abortError(what));
    };
    const timer = setTimeout(
      () => {
        finish(new SztpError('SZTP_ERR_DNS_TIMEOUT', `${what}: no answer before the deadline`));
      },
      Math.max(0, q.deadline - Date.now()),
    );
    if (q.signal.aborted) {
      onAbort();
      return;
    }
    q.signal.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (err) => {
      finish(socketError(what, err));
    });
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length > TCP_MAX + 2) {
        finish(new SztpError('SZTP_ERR_DNS_DECODE', `${what}: more than one message's worth of data`));
        return;
      }
      if (received.length < 2) return;
      const n = received.readUInt16BE(0);
      if (received.length < 2 + n) return;
      const m = matching(received.subarray(2, 2 + n), id, q.name, q.type);
      if (typeof m === 'string') finish(new SztpError('SZTP_ERR_DNS_DECODE', `${what}: ${m}`));
      else finish(undefined, m);
    });
    sock.on('end', () => {
      finish(new SztpError('SZTP_ERR_DNS_DECODE', `${what}: connection closed before a whole answer`));
    });
  });
}

/**
 * One-shot mDNS query on one interface (RFC 6762 §5.1). Resolves with the first reply that
 * answers the question with at least one record of the asked type.
 */
export async function queryMdns(q: MdnsQuery): Promise<DnsMessage> {
  const group = MDNS_GROUP[q.family];
  const what = `mDNS ${q.type === DNS_TYPE.TXT ? 'TXT' : 'SRV'} query on ${q.ifname} (IPv${q.family})`;
  const socket = await bound(q.family, q.family === 6 ? `${q.localAddress}%${q.ifname}` : q.localAddress, what);
  try {
    socket.setMulticastInterface(q.family === 6 ? `::%${q.ifname}` : q.localAddress);
    socket.setMulticastTTL(255); // RFC 6762 §11
  } catch (err) {
    socket.close();
    throw socketError(what, err);
  }
  const id = randomInt(0x10000);
  // QU bit (RFC 6762 §5.4): ask for a unicast response.
  const query = encodeDnsMessage({ id, questions: [{ name: q.name, type: q.type, qclass: 0x8001 }] });
  const target = q.family === 6 ? `${group}%${q.ifname}` : group;
  return exchange(
    socket,
    () => {
      socket.send(query, MDNS_PORT, target);
    },
    (msg, rinfo) => {
      if (rinfo.port !== MDNS_PORT) {
        q.onIgnored?.(`reply from port ${rinfo.port}, not ${MDNS_PORT}`);
        return undefined;
      }
      if (!q.onLink(rinfo.address)) {
        q.onIgnored?.(`reply from ${rinfo.address}, not on the link of ${q.ifname}`);
        return undefined;
      }
      const m = matching(msg, id, q.name, q.type);
      if (typeof m === 'string') {
        q.onIgnored?.(m);
        return undefined;
      }
      if (!m.answers.some((r) => r.type === q.type && sameName(r.name, q.name))) {
        q.onIgnored?.('reply without an answer to our question');
        return undefined;
      }
      return m;
    },
    q,
    what,
  );
}
