/**
 * Minimal DHCPv4 client (RFC 2131) on `node:dgram` that asks for option 143 (RFC 8572 §8.1).
 * - No address on the interface: DISCOVER → OFFER → REQUEST → ACK, broadcast flag set (the
 *   kernel drops unicast replies to an address the interface does not hold yet), sent to
 *   255.255.255.255 (the caller adds the `255.255.255.255/32 dev IF` route, see address.ts).
 * - Address already held (the OS's client owns it): DHCPINFORM with ciaddr set, sent to the
 *   subnet broadcast address; no route is needed.
 * Parameter Request List: 1, 3, 6, 15, 143. Client identifier (61): type 0 + serial number.
 * Among several OFFERs, one carrying option 143 is preferred (short grace period).
 * Random xid; retransmission with backoff and an overall deadline (transact.ts). Replies are
 * matched on xid and chaddr; malformed replies are ignored. The boot-file option (67) and
 * `file`/`sname` as boot information are never used: only option 143 counts (secure mode).
 * @module
 */
import { isSztpError } from '../errors.ts';
import {
  DHCP4,
  DHCP4_TYPE,
  addressListOption,
  concatOption,
  decodeDhcp4,
  encodeDhcp4,
  ipv4ToBytes,
  maskToPrefix,
  messageType,
  uint32Option,
  type Dhcp4Message,
  type Dhcp4Option,
} from './codec-v4.ts';
import { transact, type DhcpClientBase } from './transact.ts';
import { openUdp4Socket } from './udp.ts';
import { DHCP4_CLIENT_PORT, DHCP4_SERVER_PORT } from './constants.ts';

export const PARAMETER_REQUEST_LIST = [
  DHCP4.SUBNET_MASK,
  DHCP4.ROUTER,
  DHCP4.DNS,
  DHCP4.DOMAIN_NAME,
  DHCP4.SZTP_REDIRECT,
] as const;

/** Defaults: 0.0.0.0:68 → :67, 255.255.255.255; first retransmission after 4000 ms (RFC 2131 §4.1). */
export interface Dhcp4ClientOptions extends DhcpClientBase {
  /** Device serial number, sent as client identifier (option 61, type 0). */
  readonly serialNumber: string;
  /** Set when the interface already holds this address: DHCPINFORM instead of DISCOVER. */
  readonly inform?: { readonly address: string; readonly prefixLength: number };
  /** How long to wait for an OFFER with option 143 after one without it (default min(1 s, timeout/4)). */
  readonly offerGraceMs?: number;
}

export interface Dhcp4Lease {
  readonly address: string;
  readonly prefixLength: number;
  readonly routers: readonly string[];
  readonly serverId: string | undefined;
  readonly leaseSeconds: number | undefined;
}

export interface Dhcp4Result {
  /** Raw (RFC 3396-concatenated) option 143 value, if any reply carried it. */
  readonly redirect: Uint8Array | undefined;
  readonly dnsServers: readonly string[];
  readonly domainName: string | undefined;
  /** Present after DISCOVER/REQUEST; absent after INFORM. */
  readonly lease: Dhcp4Lease | undefined;
  readonly reply: Dhcp4Message;
}

function broadcastOf(address: string, prefixLength: number): string {
  const n = ipv4ToBytes(address).reduce((acc, b) => acc * 256 + b, 0);
  const hostBits = 2 ** (32 - prefixLength) - 1;
  const b = n - (n % (hostBits + 1)) + hostBits;
  return [b >>> 24, (b >>> 16) & 255, (b >>> 8) & 255, b & 255].join('.');
}

/** Runs one DHCPv4 exchange and returns what the server said. */
export async function runDhcp4(opts: Dhcp4ClientOptions): Promise<Dhcp4Result> {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const start = now();
  const deadline = start + opts.timeoutMs;
  const clientPort = opts.transport?.clientPort ?? DHCP4_CLIENT_PORT;
  const serverPort = opts.transport?.serverPort ?? DHCP4_SERVER_PORT;
  const destination =
    opts.transport?.destination ??
    (opts.inform === undefined ? '255.255.255.255' : broadcastOf(opts.inform.address, opts.inform.prefixLength));
  const xid = Math.floor(random() * 0x100000000) >>> 0;
  const initialMs = opts.initialRetransmitMs ?? Math.min(4000, Math.max(200, Math.floor(opts.timeoutMs / 6)));
  const timing = { initialMs, maxMs: 64_000, deadline, random, now };
  const offerGraceMs = opts.offerGraceMs ?? Math.min(1000, Math.floor(opts.timeoutMs / 4));
  const clientId = new TextEncoder().encode(opts.serialNumber).subarray(0, 254);
  const chaddr = new Uint8Array(16);
  chaddr.set(opts.mac.subarray(0, 6));
  const log = opts.log.child({ interface: opts.ifname, xid: xid.toString(16) });

  const socket = await openUdp4Socket(opts.transport?.bindAddress ?? '0.0.0.0', clientPort);
  const build = (type: number, extra: Dhcp4Option[], ciaddr = '0.0.0.0'): Uint8Array =>
    encodeDhcp4({
      op: 1,
      xid,
      secs: Math.min(0xffff, Math.floor((now() - start) / 1000)),
      flags: ciaddr === '0.0.0.0' ? 0x8000 : 0,
      ciaddr,
      yiaddr: '0.0.0.0',
      siaddr: '0.0.0.0',
      giaddr: '0.0.0.0',
      chaddr: opts.mac.subarray(0, 6),
      options: [
        { code: DHCP4.MESSAGE_TYPE, data: Uint8Array.of(type) },
        { code: DHCP4.CLIENT_ID, data: Uint8Array.of(0, ...clientId) },
        ...extra,
        { code: DHCP4.MAX_SIZE, data: Uint8Array.of(0x05, 0xdc) },
        { code: DHCP4.PRL, data: Uint8Array.from(PARAMETER_REQUEST_LIST) },
      ],
    });
  const sender = (packet: Uint8Array) => (): Promise<void> =>
    new Promise((resolve, reject) => {
      socket.send(packet, serverPort, destination, (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
  const matcher =
    (types: readonly number[]) =>
    (buf: Buffer): Dhcp4Message | undefined => {
      try {
        const m = decodeDhcp4(buf);
        if (m.op !== 2 || m.xid !== xid || !sameMac(m.chaddr, opts.mac)) return undefined;
        const t = messageType(m);
        return t !== undefined && types.includes(t) ? m : undefined;
      } catch (err) {
        log.debug({ err: isSztpError(err) ? err.toJSON() : String(err) }, 'dhcp4: ignoring malformed datagram');
        return undefined;
      }
    };

  /**
   * Collects OFFERs: one carrying option 143 is taken at once; otherwise the first OFFER is kept
   * and taken when no OFFER with 143 arrives within a short grace period (several servers).
   */
  const discover = async (send: () => Promise<void>): Promise<Dhcp4Message> => {
    const offerMatch = matcher([DHCP4_TYPE.OFFER]);
    const grace = new AbortController();
    const onOuter = (): void => {
      grace.abort();
    };
    if (opts.signal?.aborted === true) grace.abort();
    opts.signal?.addEventListener('abort', onOuter, { once: true });
    let fallback: Dhcp4Message | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const accept = (buf: Buffer): Dhcp4Message | undefined => {
      const m = offerMatch(buf);
      if (m === undefined || concatOption(m.options, DHCP4.SZTP_REDIRECT) !== undefined) return m;
      if (fallback === undefined) {
        fallback = m;
        graceTimer = setTimeout(() => {
          grace.abort();
        }, offerGraceMs);
      }
      return undefined;
    };
    try {
      return await transact(socket, send, accept, timing, 'DHCPDISCOVER', grace.signal);
    } catch (err) {
      if (fallback !== undefined && opts.signal?.aborted !== true) return fallback;
      throw err;
    } finally {
      clearTimeout(graceTimer);
      opts.signal?.removeEventListener('abort', onOuter);
    }
  };

  try {
    if (opts.inform !== undefined) {
      log.info({ ciaddr: opts.inform.address, destination }, 'dhcp4: sending DHCPINFORM');
      const ack = await transact(
        socket,
        sender(build(DHCP4_TYPE.INFORM, [], opts.inform.address)),
        matcher([DHCP4_TYPE.ACK]),
        timing,
        'DHCPINFORM',
        opts.signal,
      );
      log.info(
        { option143Instances: ack.options.filter((o) => o.code === DHCP4.SZTP_REDIRECT).length },
        'dhcp4: got DHCPACK to DHCPINFORM',
      );
      return summarize(ack, undefined, undefined);
    }
    for (;;) {
      log.info({ destination }, 'dhcp4: sending DHCPDISCOVER');
      const offer = await discover(sender(build(DHCP4_TYPE.DISCOVER, [])));
      const serverId = list(offer, DHCP4.SERVER_ID)[0];
      log.info({ offered: offer.yiaddr, serverId }, 'dhcp4: got DHCPOFFER, sending DHCPREQUEST');
      const request = build(DHCP4_TYPE.REQUEST, [
        { code: DHCP4.REQUESTED_IP, data: Uint8Array.from(ipv4ToBytes(offer.yiaddr)) },
        ...(serverId === undefined ? [] : [{ code: DHCP4.SERVER_ID, data: Uint8Array.from(ipv4ToBytes(serverId)) }]),
      ]);
      const reply = await transact(
        socket,
        sender(request),
        matcher([DHCP4_TYPE.ACK, DHCP4_TYPE.NAK]),
        timing,
        'DHCPREQUEST',
        opts.signal,
      );
      if (messageType(reply) === DHCP4_TYPE.NAK) {
        log.warn('dhcp4: DHCPNAK, restarting with DHCPDISCOVER');
        continue;
      }
      log.info(
        {
          address: reply.yiaddr,
          option143Instances: reply.options.filter((o) => o.code === DHCP4.SZTP_REDIRECT).length,
        },
        'dhcp4: got DHCPACK',
      );
      return summarize(reply, offer, serverId);
    }
  } finally {
    socket.close();
  }
}

/** Optional options never make a reply fail: a malformed one reads as absent. */
function list(m: Dhcp4Message, code: number): string[] {
  try {
    return addressListOption(m, code);
  } catch {
    return [];
  }
}

function safePrefix(mask: string): number | undefined {
  try {
    return maskToPrefix(mask);
  } catch {
    return undefined;
  }
}

function sameMac(chaddr: Uint8Array, mac: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (chaddr[i] !== mac[i]) return false;
  return true;
}

function summarize(
  reply: Dhcp4Message,
  offer: Dhcp4Message | undefined,
  offerServerId: string | undefined,
): Dhcp4Result {
  const redirect =
    concatOption(reply.options, DHCP4.SZTP_REDIRECT) ??
    (offer === undefined ? undefined : concatOption(offer.options, DHCP4.SZTP_REDIRECT));
  const domain = concatOption(reply.options, DHCP4.DOMAIN_NAME);
  let lease: Dhcp4Lease | undefined;
  if (offer !== undefined) {
    const mask = list(reply, DHCP4.SUBNET_MASK)[0];
    lease = {
      address: reply.yiaddr,
      prefixLength: (mask === undefined ? undefined : safePrefix(mask)) ?? 32,
      routers: list(reply, DHCP4.ROUTER),
      serverId: list(reply, DHCP4.SERVER_ID)[0] ?? offerServerId,
      leaseSeconds: (() => {
        try {
          return uint32Option(reply, DHCP4.LEASE_TIME);
        } catch {
          return undefined;
        }
      })(),
    };
  }
  return {
    redirect,
    dnsServers: list(reply, DHCP4.DNS),
    domainName: domain === undefined ? undefined : Buffer.from(domain).toString('latin1').replace(/\0+$/, ''),
    lease,
    reply,
  };
}
