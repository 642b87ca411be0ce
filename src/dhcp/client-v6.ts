/**
 * Minimal DHCPv6 client (RFC 8415) on `node:dgram` that asks for option 136 (RFC 8572 §8.2).
 * - Global address already held: Information-Request (§18.2.6) → Reply.
 * - No global address: Solicit → Advertise → Request → Reply with one IA_NA (§18.2.1, §18.2.2);
 *   the caller configures the address it got (address.ts). DHCPv6 carries no prefix length: the
 *   address is configured as /128, and the on-link prefix route comes from router advertisements.
 * Sent from UDP [::]:546 on the interface's link-local address to ff02::1:2%IF port 547 (needs a
 * link-local address that finished DAD). CLIENTID is a DUID-LL from the MAC; ORO asks for
 * 136, 23 (DNS servers), 24 (domain list); ELAPSED_TIME is included. Replies are matched on the
 * transaction id and our DUID; malformed ones are ignored. Retransmission and deadline: transact.ts.
 * @module
 */
import { SztpError, isSztpError } from '../errors.ts';
import {
  DHCP6,
  DHCP6_TYPE,
  decodeDhcp6,
  dnsServers6,
  encodeDhcp6,
  encodeIaNa,
  getOption6,
  ipv6ToBytes,
  parseIaNa,
  statusCode,
  type Dhcp6Message,
  type Dhcp6Option,
} from './codec-v6.ts';
import { transact, type DhcpClientBase } from './transact.ts';
import { openUdp6Socket } from './udp.ts';
import { DHCP6_CLIENT_PORT, DHCP6_SERVER_PORT } from './constants.ts';

export const OPTION_REQUEST_LIST = [DHCP6.SZTP_REDIRECT, DHCP6.DNS_SERVERS, DHCP6.DOMAIN_LIST] as const;

/** Defaults: [::]:546 → [ff02::1:2%IF]:547. */
export interface Dhcp6ClientOptions extends DhcpClientBase {
  /** True: Information-Request only (the interface holds a global address). */
  readonly stateless: boolean;
}

export interface Dhcp6Lease {
  readonly address: string;
  readonly prefixLength: 128;
  readonly validLifetime: number;
  /** What a Release needs: the server DUID and our IAID. */
  readonly serverId: Uint8Array;
  readonly iaid: number;
}

export interface Dhcp6Result {
  /** Raw option 136 value, if the reply carried it. */
  readonly redirect: Uint8Array | undefined;
  readonly dnsServers: readonly string[];
  /** Present after Solicit/Request. */
  readonly lease: Dhcp6Lease | undefined;
  readonly reply: Dhcp6Message;
}

/** DUID-LL (RFC 8415 §11.4) from the MAC address. */
export function duidLl(mac: Uint8Array): Uint8Array {
  return Uint8Array.of(0, 3, 0, 1, ...mac.subarray(0, 6));
}

/** IAID: the last 4 octets of the MAC. */
export function iaidOf(mac: Uint8Array): number {
  return (((mac[2] ?? 0) << 24) | ((mac[3] ?? 0) << 16) | ((mac[4] ?? 0) << 8) | (mac[5] ?? 0)) >>> 0;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Runs one DHCPv6 exchange and returns what the server said. */
export async function runDhcp6(opts: Dhcp6ClientOptions): Promise<Dhcp6Result> {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const start = now();
  const deadline = start + opts.timeoutMs;
  const initialMs = opts.initialRetransmitMs ?? Math.min(1000, Math.max(200, Math.floor(opts.timeoutMs / 6)));
  const timing = { initialMs, maxMs: 30_000, deadline, random, now };
  const duid = duidLl(opts.mac);
  const iaid = iaidOf(opts.mac);
  const destination = opts.transport?.destination ?? `ff02::1:2%${opts.ifname}`;
  const serverPort = opts.transport?.serverPort ?? DHCP6_SERVER_PORT;
  const log = opts.log.child({ interface: opts.ifname });
  const socket = await openUdp6Socket(
    opts.transport?.bindAddress ?? '::',
    opts.transport?.clientPort ?? DHCP6_CLIENT_PORT,
    opts.ifname,
    opts.transport?.destination === undefined,
  );

  const exchange = async (
    type: number,
    extra: readonly Dhcp6Option[],
    accept: readonly number[],
    what: string,
  ): Promise<Dhcp6Message> => {
    const transactionId = Math.floor(random() * 0x1000000);
    const send = (): Promise<void> => {
      const elapsed = Math.min(0xffff, Math.floor((now() - start) / 10));
      const packet = encodeDhcp6({
        msgType: type,
        transactionId,
        options: [
          { code: DHCP6.CLIENTID, data: duid },
          { code: DHCP6.ELAPSED_TIME, data: Uint8Array.of(elapsed >> 8, elapsed & 0xff) },
          { code: DHCP6.ORO, data: Uint8Array.from(OPTION_REQUEST_LIST.flatMap((c) => [c >> 8, c & 0xff])) },
          ...extra,
        ],
      });
      return new Promise((resolve, reject) => {
        socket.send(packet, serverPort, destination, (err) => {
          if (err) reject(err);
          else resolve();
        });
      });
    };
    const match = (buf: Buffer): Dhcp6Message | undefined => {
      try {
        const m = decodeDhcp6(buf);
        if (m.transactionId !== transactionId || !accept.includes(m.msgType)) return undefined;
        if (!sameBytes(getOption6(m, DHCP6.CLIENTID), duid)) return undefined;
        return m;
      } catch (err) {
        log.debug({ err: isSztpError(err) ? err.toJSON() : String(err) }, 'dhcp6: ignoring malformed datagram');
        return undefined;
      }
    };
    log.info({ destination, transactionId: transactionId.toString(16) }, `dhcp6: sending ${what}`);
    return transact(socket, send, match, timing, what, opts.signal);
  };

  try {
    if (opts.stateless) {
      const reply = await exchange(DHCP6_TYPE.INFORMATION_REQUEST, [], [DHCP6_TYPE.REPLY], 'Information-Request');
      return { redirect: getOption6(reply, DHCP6.SZTP_REDIRECT), dnsServers: safeDns(reply), lease: undefined, reply };
    }
    for (;;) {
      const advertise = await exchange(
        DHCP6_TYPE.SOLICIT,
        [{ code: DHCP6.IA_NA, data: encodeIaNa(iaid) }],
        [DHCP6_TYPE.ADVERTISE],
        'Solicit',
      );
      const serverId = getOption6(advertise, DHCP6.SERVERID);
      const offered = firstAddress(advertise, iaid);
      if (serverId === undefined || offered === undefined) {
        log.warn('dhcp6: Advertise without server id or address, soliciting again');
        continue;
      }
      const reply = await exchange(
        DHCP6_TYPE.REQUEST,
        [
          { code: DHCP6.SERVERID, data: serverId },
          { code: DHCP6.IA_NA, data: encodeIaNa(iaid, [ipv6ToBytes(offered.address)]) },
        ],
        [DHCP6_TYPE.REPLY],
        'Request',
      );
      const got = firstAddress(reply, iaid);
      if (got === undefined) {
        throw new SztpError('SZTP_ERR_DHCP_ADDRESS', 'DHCPv6 Reply to Request assigned no address', {
          evidence: { status: safeStatus(reply) },
        });
      }
      return {
        redirect: getOption6(reply, DHCP6.SZTP_REDIRECT) ?? getOption6(advertise, DHCP6.SZTP_REDIRECT),
        dnsServers: safeDns(reply),
        lease: { address: got.address, prefixLength: 128, validLifetime: got.validLifetime, serverId, iaid },
        reply,
      };
    }
  } finally {
    socket.close();
  }
}

function firstAddress(m: Dhcp6Message, iaid: number): { address: string; validLifetime: number } | undefined {
  try {
    for (const o of m.options) {
      if (o.code !== DHCP6.IA_NA) continue;
      const ia = parseIaNa(o.data);
      if (ia.iaid !== iaid || (ia.statusCode !== undefined && ia.statusCode !== 0)) continue;
      const a = ia.addresses.find((x) => x.validLifetime > 0);
      if (a !== undefined) return a;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function safeDns(m: Dhcp6Message): string[] {
  try {
    return dnsServers6(m);
  } catch {
    return [];
  }
}

function safeStatus(m: Dhcp6Message): number | undefined {
  try {
    return statusCode(getOption6(m, DHCP6.STATUS_CODE));
  } catch {
    return undefined;
  }
}
