/**
 * DHCPRELEASE (RFC 2131 §4.4.6) for a lease the agent's own DHCPv4 client obtained, sent when
 * the fetcher releases what it holds, before the leased address is removed.
 * @module
 */
import type { Logger } from 'pino';
import { isSztpError } from '../errors.ts';
import type { Dhcp4Lease } from './client-v4.ts';
import { DHCP4, DHCP4_TYPE, encodeDhcp4, ipv4ToBytes } from './codec-v4.ts';
import { openUdp4Socket } from './udp.ts';
import type { Socket } from 'node:dgram';
import { DHCP4_CLIENT_PORT, DHCP4_SERVER_PORT } from './constants.ts';

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
    socket = await openUdp4Socket('0.0.0.0', opts.clientPort ?? DHCP4_CLIENT_PORT);
    const packet = encodeDhcp4({
      op: 1,
      xid: Math.floor(Math.random() * 0x100000000) >>> 0,
      secs: 0,
      flags: 0,
      ciaddr: opts.lease.address,
      yiaddr: '0.0.0.0',
      siaddr: '0.0.0.0',
      giaddr: '0.0.0.0',
      chaddr: opts.mac.subarray(0, 6),
      options: [
        { code: DHCP4.MESSAGE_TYPE, data: Uint8Array.of(DHCP4_TYPE.RELEASE) },
        { code: DHCP4.SERVER_ID, data: Uint8Array.from(ipv4ToBytes(serverId)) },
        {
          code: DHCP4.CLIENT_ID,
          data: Uint8Array.of(0, ...new TextEncoder().encode(opts.serialNumber).subarray(0, 254)),
        },
      ],
    });
    const s = socket;
    await new Promise<void>((resolve, reject) => {
      s.send(packet, opts.serverPort ?? DHCP4_SERVER_PORT, serverId, (err) => {
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
