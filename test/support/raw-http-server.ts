/**
 * A scripted HTTP/1.1 server on loopback (TLS or plain TCP) for hostile-server tests of the image
 * downloader: per connection, once the request head has arrived (parsed only enough to record the
 * method, target and header lines), a script gets the raw socket and writes whatever bytes it
 * likes: split into arbitrary writes, delayed, endless, then ends, destroys or keeps the socket
 * open. Every request is recorded with its raw head and whether the TLS client presented a
 * certificate (`requestCert` without verification). `close()` destroys the open sockets.
 * @module
 */
import { once } from 'node:events';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RawRequest {
  readonly method: string;
  readonly target: string;
  /** `Name: value` lines after the request line, as sent. */
  readonly headerLines: readonly string[];
  /** The head as received (latin1), without the final blank line. */
  readonly head: string;
  /** TLS only: the client presented a certificate. */
  readonly clientCert: boolean;
}

/** Answers one connection; `index` counts this server's requests from 0. */
export type RawScript = (socket: Socket, request: RawRequest, index: number) => void | Promise<void>;

export interface RawServer {
  /** `https://host:port` or `http://host:port` (IPv6 hosts bracketed). */
  readonly origin: string;
  readonly requests: RawRequest[];
  /** Accepted TCP connections, whether or not a request head arrived. */
  readonly connections: () => number;
  close(): Promise<void>;
}

export interface RawServerOptions {
  /** PEM server certificate and key: TLS; absent: plain TCP. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly host?: string;
  readonly script: RawScript;
}

/** Request heads above this are dropped (the client under test never sends one). */
const MAX_HEAD = 64 * 1024;

function parseHead(head: string, clientCert: boolean): RawRequest {
  const [line = '', ...headerLines] = head.split('\r\n');
  const [method = '', target = ''] = line.split(' ');
  return { method, target, headerLines, head, clientCert };
}

export async function startRawServer(o: RawServerOptions): Promise<RawServer> {
  const requests: RawRequest[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const onSocket = (socket: Socket): void => {
    accepted++;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > MAX_HEAD) socket.destroy();
        return;
      }
      socket.off('data', onData);
      const tlsSocket = o.tls === undefined ? undefined : (socket as TLSSocket);
      const cert = tlsSocket?.getPeerCertificate();
      const request = parseHead(
        buffered.subarray(0, end).toString('latin1'),
        cert !== undefined && Object.keys(cert).length > 0,
      );
      const index = requests.push(request) - 1;
      socket.resume();
      Promise.resolve(o.script(socket, request, index)).catch(() => socket.destroy());
    };
    socket.on('data', onData);
  };
  const server: Server =
    o.tls === undefined
      ? createTcpServer(onSocket)
      : createTlsServer({ ...o.tls, requestCert: true, rejectUnauthorized: false }, onSocket);
  server.on('tlsClientError', () => undefined);
  server.listen(0, o.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    origin: `${o.tls === undefined ? 'http' : 'https'}://${host}:${port}`,
    requests,
    connections: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** True while the socket can still be written to. */
const open = (socket: Socket): boolean => !socket.destroyed && socket.writable;

/**
 * Writes the pieces one write each (separate TLS records), `delayMs` apart (0: yield to the event
 * loop between writes), honouring back-pressure; stops when the peer is gone.
 */
export async function writePieces(socket: Socket, pieces: readonly Uint8Array[], delayMs = 0): Promise<void> {
  for (const piece of pieces) {
    if (!open(socket)) return;
    if (!socket.write(piece)) await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
    await sleep(delayMs);
  }
}

/**
 * Writes `next()` pieces back to back (back-pressure honoured) until it returns undefined or the
 * peer is gone; resolves with the bytes handed to the socket.
 */
export async function pour(socket: Socket, next: () => Uint8Array | undefined): Promise<number> {
  let written = 0;
  for (let piece = next(); piece !== undefined && open(socket); piece = next()) {
    written += piece.length;
    if (!socket.write(piece)) await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
  }
  return written;
}

/** Splits `data` at random points into pieces of 1..maxPiece bytes. */
export function splitRandomly(data: Uint8Array, maxPiece: number, random: () => number = Math.random): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < data.length;) {
    const n = 1 + Math.floor(random() * maxPiece);
    pieces.push(data.subarray(at, at + n));
    at += n;
  }
  return pieces;
}
