/**
 * A real RFC 8572 bootstrap server for tests and manual trials: `node:https` with mutual TLS
 * (`requestCert`), RFC 8040 host-meta, `get-bootstrapping-data` answered per device serial (from a
 * programmable responder or from `<dir>/<serial>/`), `report-progress` recorded, images served with
 * HTTP Range, and fault injection (5xx, 3xx, stalls, resets mid-body, oversized replies, non-204
 * progress replies, dropped image transfers, 404 mirrors), and, like SZTPD, HTTP Basic credentials
 * (the activation code) demanded on the RPCs. Every request is recorded.
 * @module
 */
import { existsSync, readFileSync, statSync, createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** Parsed JSON body (undefined when not JSON). */
  readonly json: unknown;
  /** The `input` object of an RPC body. */
  readonly input: Record<string, unknown> | undefined;
  /** serialNumber of the client certificate subject. */
  readonly clientSerial: string | undefined;
  /** The client certificate's own serial number (hex, as node:tls gives it). */
  readonly clientCertSerial: string | undefined;
  /** True when the client certificate validated against the client CA. */
  readonly authorized: boolean;
  readonly time: number;
}

/** A reply, or a fault. */
export type Reply =
  | { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string | Buffer }
  | { readonly fault: 'stall' }
  | { readonly fault: 'reset' }
  | { readonly fault: 'reset-mid-body'; readonly body: string; readonly afterBytes: number }
  /** 200 and headers, then one body byte every `intervalMs` (a slow-drip server). */
  | { readonly fault: 'drip'; readonly body: string; readonly intervalMs: number };

export type Responder = (req: RecordedRequest) => Reply | undefined | Promise<Reply | undefined>;

export interface ImageFault {
  /** Close the connection after sending this many body bytes (for the next `times` requests, default 1). */
  readonly dropAfterBytes?: number;
  readonly times?: number;
  /** Stop sending (keep the socket open) after this many body bytes. */
  readonly stallAfterBytes?: number;
  /** Answer with this status and no body. */
  readonly status?: number;
  /** Ignore Range requests (always 200 with the full body). */
  readonly noRange?: boolean;
  /** Announce a larger Content-Length than sent? no: send a lying Content-Length of this value. */
  readonly contentLength?: number;
}

export interface BootstrapServerOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** CA (PEM) that client certificates are checked against (authorised or not is recorded). */
  readonly clientCa?: string | Buffer;
  readonly host?: string;
  readonly port?: number;
  /** Per-serial replies: `<dir>/<serial>/reply.json` or the three artifacts (+ `reporting-level`). */
  readonly dir?: string;
  /** Images served under `/images/<name>`. */
  readonly imagesDir?: string;
  /** RESTCONF root advertised by host-meta and served (default `/restconf`). */
  readonly root?: string;
  /** host-meta body (XRD); null: host-meta answers 404. Default: an XRD pointing at `root`. */
  readonly hostMeta?: string | null;
}

const GBD = 'ietf-sztp-bootstrap-server:get-bootstrapping-data';
const PROGRESS = 'ietf-sztp-bootstrap-server:report-progress';

/** A JSON `get-bootstrapping-data` 200 reply for the given artifacts. */
export function bootstrappingReply(
  a: { conveyedInformation: Uint8Array; ownerCertificate?: Uint8Array; ownershipVoucher?: Uint8Array },
  reportingLevel?: 'minimal' | 'verbose',
): Reply {
  const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
  const out: Record<string, string> = { 'conveyed-information': b64(a.conveyedInformation) };
  if (a.ownerCertificate !== undefined) out['owner-certificate'] = b64(a.ownerCertificate);
  if (a.ownershipVoucher !== undefined) out['ownership-voucher'] = b64(a.ownershipVoucher);
  if (reportingLevel !== undefined) out['reporting-level'] = reportingLevel;
  return {
    status: 200,
    headers: { 'content-type': 'application/yang-data+json' },
    body: JSON.stringify({ 'ietf-sztp-bootstrap-server:output': out }),
  };
}

/** An `ietf-restconf:errors` reply. */
export function restconfError(status: number, tag: string, message: string): Reply {
  return {
    status,
    headers: { 'content-type': 'application/yang-data+json' },
    body: JSON.stringify({
      'ietf-restconf:errors': { error: [{ 'error-type': 'application', 'error-tag': tag, 'error-message': message }] },
    }),
  };
}

export class TestBootstrapServer {
  readonly requests: RecordedRequest[] = [];
  /** Programmable get-bootstrapping-data replies (falls back to `dir`). */
  onGetBootstrappingData: Responder | undefined;
  /** `{ user, password }` demanded as HTTP Basic credentials on both RPCs (401 otherwise), as SZTPD's activation code. */
  requireBasic: { readonly user: string; readonly password: string } | undefined;
  /** Status for report-progress per progress type (default 204). */
  progressStatus: (progressType: string) => number = () => 204;
  /** Replaces the report-progress reply (e.g. a fault) when it returns one. */
  onProgress: Responder | undefined;
  /** Faults for images by name. */
  readonly imageFaults = new Map<string, ImageFault>();
  private readonly server: Server;
  private readonly root: string;

  constructor(private readonly options: BootstrapServerOptions) {
    this.root = options.root ?? '/restconf';
    this.server = createServer(
      {
        cert: options.cert,
        key: options.key,
        requestCert: true,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
        ...(options.clientCa === undefined ? {} : { ca: options.clientCa }),
      },
      (req, res) => {
        void this.handle(req, res);
      },
    );
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    const host = this.options.host ?? '127.0.0.1';
    return `https://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  /** Serves another certificate from now on (e.g. a wrong one). */
  useCertificate(cert: string | Buffer, key: string | Buffer): void {
    this.server.setSecureContext({
      cert,
      key,
      ...(this.options.clientCa === undefined ? {} : { ca: this.options.clientCa }),
    });
  }

  /** The progress-type of every report-progress received, in order. */
  progressReports(): string[] {
    return this.requests.filter((r) => r.path.endsWith(PROGRESS)).map((r) => String(r.input?.['progress-type']));
  }

  bootstrapRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith(GBD));
  }

  /** Drops every open connection (the next request needs a new TLS handshake). */
  closeConnections(): void {
    this.server.closeAllConnections();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = body === '' ? undefined : JSON.parse(body);
    } catch {
      json = undefined;
    }
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    const subject = (peer as { subject?: Record<string, string> } | undefined)?.subject;
    const input = (json as Record<string, unknown> | undefined)?.['ietf-sztp-bootstrap-server:input'] as
      Record<string, unknown> | undefined;
    const rec: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      json,
      input,
      clientSerial: subject?.serialNumber,
      clientCertSerial: (peer as { serialNumber?: string } | undefined)?.serialNumber,
      authorized: socket.authorized,
      time: Date.now(),
    };
    this.requests.push(rec);
    const path = rec.path.split('?')[0] ?? '';
    if (req.method === 'GET' && path === '/.well-known/host-meta') {
      const xrd =
        this.options.hostMeta === undefined
          ? `<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'><Link rel='restconf' href='${this.root}'/></XRD>`
          : this.options.hostMeta;
      if (xrd === null) return this.send(res, { status: 404 });
      return this.send(res, { status: 200, headers: { 'content-type': 'application/xrd+xml' }, body: xrd });
    }
    if (req.method === 'GET' && path.startsWith('/images/'))
      return this.image(req, res, decodeURIComponent(path.slice('/images/'.length)));
    if (
      req.method === 'POST' &&
      (path === `${this.root}/operations/${GBD}` || path === `${this.root}/operations/${PROGRESS}`) &&
      !this.basicOk(req)
    ) {
      const denied = restconfError(401, 'access-denied', 'activation code required');
      return this.send(
        res,
        'status' in denied
          ? { ...denied, headers: { ...denied.headers, 'www-authenticate': 'Basic realm="sztp"' } }
          : denied,
      );
    }
    if (req.method === 'POST' && path === `${this.root}/operations/${GBD}`) {
      const reply = (await this.onGetBootstrappingData?.(rec)) ?? this.fromDir(rec.clientSerial);
      return this.send(res, reply);
    }
    if (req.method === 'POST' && path === `${this.root}/operations/${PROGRESS}`) {
      const custom = await this.onProgress?.(rec);
      return this.send(res, custom ?? { status: this.progressStatus(String(input?.['progress-type'])) });
    }
    this.send(res, restconfError(404, 'invalid-value', `no resource ${path}`));
  }

  private basicOk(req: IncomingMessage): boolean {
    if (this.requireBasic === undefined) return true;
    const want = `Basic ${Buffer.from(`${this.requireBasic.user}:${this.requireBasic.password}`).toString('base64')}`;
    return req.headers.authorization === want;
  }

  private fromDir(serial: string | undefined): Reply {
    if (this.options.dir === undefined || serial === undefined || !/^[\w.-]+$/.test(serial))
      return restconfError(404, 'invalid-value', 'unknown device');
    const d = join(this.options.dir, serial);
    if (existsSync(join(d, 'reply.json'))) {
      return {
        status: 200,
        headers: { 'content-type': 'application/yang-data+json' },
        body: readFileSync(join(d, 'reply.json')),
      };
    }
    const ci = join(d, 'conveyed-information.cms');
    if (!existsSync(ci)) return restconfError(404, 'invalid-value', 'no bootstrapping data for this device');
    const opt = (name: string): Buffer | undefined =>
      existsSync(join(d, name)) ? readFileSync(join(d, name)) : undefined;
    const level = opt('reporting-level')?.toString('utf8').trim();
    const oc = opt('owner-certificate.cms');
    const ov = opt('ownership-voucher.vcj') ?? opt('ownership-voucher.cms');
    return bootstrappingReply(
      {
        conveyedInformation: readFileSync(ci),
        ...(oc === undefined ? {} : { ownerCertificate: oc }),
        ...(ov === undefined ? {} : { ownershipVoucher: ov }),
      },
      level === 'verbose' || level === 'minimal' ? level : undefined,
    );
  }

  private send(res: ServerResponse, reply: Reply): void {
    if ('fault' in reply) {
      if (reply.fault === 'stall') return;
      if (reply.fault === 'reset') {
        res.socket?.destroy();
        return;
      }
      if (reply.fault === 'drip') {
        const drip = Buffer.from(reply.body);
        res.writeHead(200, { 'content-type': 'application/yang-data+json', 'content-length': String(drip.length) });
        let sent = 0;
        const timer = setInterval(() => {
          if (sent >= drip.length || res.destroyed) {
            clearInterval(timer);
            return;
          }
          res.write(drip.subarray(sent, sent + 1));
          sent++;
        }, reply.intervalMs);
        res.on('close', () => {
          clearInterval(timer);
        });
        return;
      }
      const buf = Buffer.from(reply.body);
      res.writeHead(200, { 'content-type': 'application/yang-data+json', 'content-length': String(buf.length) });
      res.write(buf.subarray(0, reply.afterBytes), () => res.socket?.destroy());
      return;
    }
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  }

  private image(req: IncomingMessage, res: ServerResponse, name: string): void {
    const dir = this.options.imagesDir;
    const file = dir === undefined || !/^[\w.-]+$/.test(name) ? undefined : join(dir, name);
    const fault = this.imageFaults.get(name);
    if (fault?.status !== undefined) return this.send(res, { status: fault.status });
    if (file === undefined || !existsSync(file)) return this.send(res, { status: 404 });
    const size = statSync(file).size;
    let start = 0;
    let end = size - 1;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const partial = range !== null && fault?.noRange !== true;
    if (partial) {
      start = Number(range[1]);
      if (range[2] !== '') end = Math.min(end, Number(range[2]));
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` });
        res.end();
        return;
      }
    }
    const length = end - start + 1;
    res.writeHead(partial ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(fault?.contentLength ?? length),
      'accept-ranges': 'bytes',
      ...(partial ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    let limit: number | undefined;
    let stall = false;
    if (fault?.dropAfterBytes !== undefined && (fault.times ?? 1) > 0) {
      limit = fault.dropAfterBytes;
      this.imageFaults.set(name, { ...fault, times: (fault.times ?? 1) - 1 });
    } else if (fault?.stallAfterBytes !== undefined) {
      limit = fault.stallAfterBytes;
      stall = true;
    }
    if (limit === undefined) {
      createReadStream(file, { start, end }).pipe(res);
      return;
    }
    const cut = Math.min(length, limit);
    const stream = createReadStream(file, { start, end: start + cut - 1 });
    stream.on('data', (c) => res.write(c));
    stream.on('end', () => {
      if (!stall) setTimeout(() => res.socket?.destroy(), 20);
    });
  }
}

export async function startBootstrapServer(options: BootstrapServerOptions): Promise<TestBootstrapServer> {
  return new TestBootstrapServer(options).start();
}
