/**
 * Opens the DHCPv4 client's UDP socket (`node:dgram`, SO_REUSEADDR so it can coexist with an OS
 * DHCP client, SO_BROADCAST). Bind failures (EACCES without root, EADDRINUSE) → SZTP_ERR_DHCP_SOCKET.
 * @module
 */
import { createSocket, type Socket } from 'node:dgram';
import { SztpError } from '../errors.ts';

export async function openUdp4Socket(bindAddress: string, port: number): Promise<Socket> {
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
