/**
 * DHCPv6 Release (RFC 8415 §18.2.7) for an address the agent's own DHCPv6 client obtained, sent
 * to ff02::1:2 when the fetcher releases what it holds, before the address is removed. Best
 * effort and fire-and-forget: failures are logged, never thrown; the Reply is not awaited.
 * @module
 */
import type { Logger } from 'pino';
import { isSztpError } from '../errors.ts';
import { duidLl, type Dhcp6Lease } from './client-v6.ts';
import { openUdp6Socket } from './udp.ts';
import { DHCP6, DHCP6_TYPE, encodeDhcp6, encodeIaNa, ipv6ToBytes } from './codec-v6.ts';
import { DHCP6_CLIENT_PORT, DHCP6_SERVER_PORT } from './constants.ts';

export async function releaseDhcp6(opts: {
  readonly ifname: string;
  readonly lease: Dhcp6Lease;
  readonly mac: Uint8Array;
  readonly log: Logger;
  /** Tests: addresses and ports (defaults [::]:546 → [ff02::1:2%IF]:547). */
  readonly transport?: {
    readonly bindAddress?: string;
    readonly clientPort?: number;
    readonly serverPort?: number;
    readonly destination?: string;
  };
}): Promise<void> {
  let socket: Awaited<ReturnType<typeof openUdp6Socket>> | undefined;
  try {
    const t = opts.transport;
    socket = await openUdp6Socket(
      t?.bindAddress ?? '::',
      t?.clientPort ?? DHCP6_CLIENT_PORT,
      opts.ifname,
      t?.destination === undefined,
    );
    const packet = encodeDhcp6({
      msgType: DHCP6_TYPE.RELEASE,
      transactionId: Math.floor(Math.random() * 0x1000000),
      options: [
        { code: DHCP6.CLIENTID, data: duidLl(opts.mac) },
        { code: DHCP6.SERVERID, data: opts.lease.serverId },
        { code: DHCP6.ELAPSED_TIME, data: Uint8Array.of(0, 0) },
        { code: DHCP6.IA_NA, data: encodeIaNa(opts.lease.iaid, [ipv6ToBytes(opts.lease.address)]) },
      ],
    });
    const s = socket;
    await new Promise<void>((resolve, reject) => {
      s.send(packet, t?.serverPort ?? DHCP6_SERVER_PORT, t?.destination ?? `ff02::1:2%${opts.ifname}`, (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
    opts.log.info({ interface: opts.ifname, address: opts.lease.address }, 'dhcp6: address released (Release)');
  } catch (err) {
    opts.log.warn({ err: isSztpError(err) ? err.toJSON() : String(err) }, 'dhcp6: Release could not be sent');
  } finally {
    socket?.close();
  }
}
