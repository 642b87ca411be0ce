/**
 * Minimal DHCPv4 client (RFC 2131) on `node:dgram` that asks for option 143 (RFC 8572 §8.1).
 * - No address on the interface: DISCOVER → OFFER → REQUEST → ACK, broadcast flag set (the
 *   kernel drops unicast replies to an address the interface does not hold yet), sent to
 *   255.255.255.255 (the caller adds the `255.255.255.255/32 dev IF` route, see address.ts).
 * - Address already held (the OS's client owns it): DHCPINFORM with ciaddr set, sent to the
 *   subnet broadcast address; no route is needed.
 * Parameter Request List: 1, 3, 6, 15, 143. Client identifier (61): type 0 + serial number.
 * Random xid; retransmission with backoff and an overall deadline (transact.ts). Replies are
 * matched on xid and chaddr; malformed replies are ignored. The boot-file option (67) and
 * `file`/`sname` as boot information are never used: only option 143 counts (secure mode).
 * @module
 */
import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import { SztpError, isSztpError } from '../errors.ts';
import {
  DHCP4, DHCP4_TYPE, addressListOption, concatOption, decodeDhcp4, encodeDhcp4, ipv4ToBytes,
  maskToPrefix, messageType, uint32Option, type Dhcp4Message, type Dhcp4Option,
} from './codec-v4.ts';
import { transact } from './transact.ts';

export const PARAMETER_REQUEST_LIST = [DHCP4.SUBNET_MASK, DHCP4.ROUTER, DHCP4.DNS, DHCP4.DOMAIN_NAME, DHCP4.SZTP_REDIRECT] as const;

export interface Dhcp4ClientOptions {
  readonly ifname: string;
  readonly mac: Uint8Array;
  /** Device serial number, sent as client identifier (option 61, type 0). */
  readonly serialNumber: string;
  /** Set when the interface already holds this address: DHCPINFORM instead of DISCOVER. */
  readonly inform?: { readonly address: string; readonly prefixLength: number };
  readonly timeoutMs: number;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** Tests: ports and addresses (defaults 0.0.0.0:68 → :67, 255.255.255.255). */
  readonly transport?: { readonly bindAddress?: string; readonly clientPort?: number; readonly serverPort?: number; readonly destination?: string };
  /** First retransmission interval (default 4000 ms, RFC 2131 §4.1; smaller for short deadlines). */
  readonly initialRetransmitMs?: number;
  readonly random?: () => number;
  readonly now?: () => number;
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

async function openSocket(bindAddress: string, port: number): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: bindAddress, port }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.setBroadcast(true);
  } catch (err) {
    socket.close();
    const code = (err as { code?: unknown }).code;
    throw new SztpError('SZTP_ERR_DHCP_SOCKET', `cannot bind UDP ${bindAddress}:${port} (${String(code ?? err)})`, { cause: err });
  }
  socket.on('error', () => undefined);
  return socket;
}

/** Runs one DHCPv4 exchange and returns what the server said. */
export async function runDhcp4(opts: Dhcp4ClientOptions): Promise<Dhcp4Result> {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const start = now();
  const deadline = start + opts.timeoutMs;
  const clientPort = opts.transport?.clientPort ?? 68;
  const serverPort = opts.transport?.serverPort ?? 67;
  const destination = opts.transport?.destination ??
    (opts.inform === undefined ? '255.255.255.255' : broadcastOf(opts.inform.address, opts.inform.prefixLength));
  const xid = Math.floor(random() * 0x100000000) >>> 0;
  const initialMs = opts.initialRetransmitMs ?? Math.min(4000, Math.max(200, Math.floor(opts.timeoutMs / 6)));
  const timing = { initialMs, maxMs: 64_000, deadline, random, now };
  const clientId = new TextEncoder().encode(opts.serialNumber).subarray(0, 254);
  const chaddr = new Uint8Array(16);
  chaddr.set(opts.mac.subarray(0, 6));
  const log = opts.log.child({ interface: opts.ifname, xid: xid.toString(16) });

  const socket = await openSocket(opts.transport?.bindAddress ?? '0.0.0.0', clientPort);
  const build = (type: number, extra: Dhcp4Option[], ciaddr = '0.0.0.0'): Uint8Array =>
    encodeDhcp4({
      op: 1, xid, secs: Math.min(0xffff, Math.floor((now() - start) / 1000)), flags: ciaddr === '0.0.0.0' ? 0x8000 : 0,
      ciaddr, yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: opts.mac.subarray(0, 6),
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
  const matcher = (types: readonly number[]) => (buf: Buffer): Dhcp4Message | undefined => {
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

  try {
    if (opts.inform !== undefined) {
      log.info({ ciaddr: opts.inform.address, destination }, 'dhcp4: sending DHCPINFORM');
      const ack = await transact(socket, sender(build(DHCP4_TYPE.INFORM, [], opts.inform.address)), matcher([DHCP4_TYPE.ACK]), timing, 'DHCPINFORM', opts.signal);
      return summarize(ack, undefined, undefined);
    }
    for (;;) {
      log.info({ destination }, 'dhcp4: sending DHCPDISCOVER');
      const offer = await transact(socket, sender(build(DHCP4_TYPE.DISCOVER, [])), matcher([DHCP4_TYPE.OFFER]), timing, 'DHCPDISCOVER', opts.signal);
      const serverId = list(offer, DHCP4.SERVER_ID)[0];
      log.info({ offered: offer.yiaddr, serverId }, 'dhcp4: got DHCPOFFER, sending DHCPREQUEST');
      const request = build(DHCP4_TYPE.REQUEST, [
        { code: DHCP4.REQUESTED_IP, data: Uint8Array.from(ipv4ToBytes(offer.yiaddr)) },
        ...(serverId === undefined ? [] : [{ code: DHCP4.SERVER_ID, data: Uint8Array.from(ipv4ToBytes(serverId)) }]),
      ]);
      const reply = await transact(socket, sender(request), matcher([DHCP4_TYPE.ACK, DHCP4_TYPE.NAK]), timing, 'DHCPREQUEST', opts.signal);
      if (messageType(reply) === DHCP4_TYPE.NAK) {
        log.warn('dhcp4: DHCPNAK, restarting with DHCPDISCOVER');
        continue;
      }
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

function summarize(reply: Dhcp4Message, offer: Dhcp4Message | undefined, offerServerId: string | undefined): Dhcp4Result {
  const redirect = concatOption(reply.options, DHCP4.SZTP_REDIRECT) ?? (offer === undefined ? undefined : concatOption(offer.options, DHCP4.SZTP_REDIRECT));
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

/**
 * Sends a DHCPRELEASE for a lease our client obtained (RFC 2131 §4.4.6): unicast from the
 * leased address to the server identifier, no reply expected. Must run while the address is
 * still configured. Best effort: failures are logged, never thrown.
 */
export async function releaseDhcp4(opts: {
  readonly lease: Dhcp4Lease;
  readonly mac: Uint8Array;
  readonly serialNumber: string;
  readonly log: Logger;
  readonly serverPort?: number;
  readonly clientPort?: number;
}): Promise<void> {
  const serverId = opts.lease.serverId;
  if (serverId === undefined) return;
  let socket: Socket | undefined;
  try {
    socket = await openSocket('0.0.0.0', opts.clientPort ?? 68);
    const packet = encodeDhcp4({
      op: 1, xid: Math.floor(Math.random() * 0x100000000) >>> 0, secs: 0, flags: 0, ciaddr: opts.lease.address,
      yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: opts.mac.subarray(0, 6),
      options: [
        { code: DHCP4.MESSAGE_TYPE, data: Uint8Array.of(DHCP4_TYPE.RELEASE) },
        { code: DHCP4.SERVER_ID, data: Uint8Array.from(ipv4ToBytes(serverId)) },
        { code: DHCP4.CLIENT_ID, data: Uint8Array.of(0, ...new TextEncoder().encode(opts.serialNumber).subarray(0, 254)) },
      ],
    });
    const s = socket;
    await new Promise<void>((resolve, reject) => {
      s.send(packet, opts.serverPort ?? 67, serverId, (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
    opts.log.info({ address: opts.lease.address, serverId }, 'dhcp4: lease released (DHCPRELEASE)');
  } catch (err) {
    opts.log.warn({ err: isSztpError(err) ? err.toJSON() : String(err) }, 'dhcp4: DHCPRELEASE could not be sent');
  } finally {
    socket?.close();
  }
}
