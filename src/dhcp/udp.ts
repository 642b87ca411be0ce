/**
 * Opens the DHCP clients' UDP sockets (`node:dgram`, SO_REUSEADDR so they can coexist with an OS
 * DHCP client): udp4 with SO_BROADCAST for DHCPv4, udp6 (optionally with the multicast interface
 * set) for DHCPv6. Bind failures (EACCES without root, EADDRINUSE) → SZTP_ERR_DHCP_SOCKET.
 * @module
 */
import { createSocket, type Socket } from 'node:dgram';
import { SztpError } from '../errors.ts';

async function open(
  socket: Socket,
  bindAddress: string,
  port: number,
  where: string,
  setup: (s: Socket) => void,
): Promise<Socket> {
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: bindAddress, port }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    setup(socket);
  } catch (err) {
    socket.close();
    const code = (err as { code?: unknown }).code;
    throw new SztpError('SZTP_ERR_DHCP_SOCKET', `cannot open UDP ${where} (${String(code ?? err)})`, { cause: err });
  }
  socket.on('error', () => undefined);
  return socket;
}

/** DHCPv4 client socket. */
export function openUdp4Socket(bindAddress: string, port: number): Promise<Socket> {
  return open(createSocket({ type: 'udp4', reuseAddr: true }), bindAddress, port, `${bindAddress}:${port}`, (s) => {
    s.setBroadcast(true);
  });
}

/** DHCPv6 client socket on `ifname`; `multicast`: send to All_DHCP_Relay_Agents_and_Servers through it. */
export function openUdp6Socket(bindAddress: string, port: number, ifname: string, multicast: boolean): Promise<Socket> {
  return open(
    createSocket({ type: 'udp6', reuseAddr: true, ipv6Only: true }),
    bindAddress,
    port,
    `[${bindAddress}]:${port} on ${ifname}`,
    (s) => {
      if (multicast) s.setMulticastInterface(`::%${ifname}`);
    },
  );
}
