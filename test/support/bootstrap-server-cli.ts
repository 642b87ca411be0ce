/**
 * Starts the test bootstrap server on its own for manual trials and system tests:
 *   npm run test-server -- --port 8443 --dir DIR --cert server.crt --key server.key --client-ca ca.crt
 * Prints `listening https://HOST:PORT` on stdout once ready; stops on SIGINT/SIGTERM.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startBootstrapServer } from './bootstrap-server.ts';

const HELP = `Usage: npm run test-server -- [options]

A test RFC 8572 bootstrap server (RESTCONF over mutual TLS).

  --host ADDR       bind address (default 127.0.0.1; any address, e.g. 192.0.2.1 or ::)
  --port N          TCP port (default 8443; 0 = any free port)
  --dir DIR         per-device replies: DIR/<serial>/reply.json (a complete JSON reply body), or
                    DIR/<serial>/{conveyed-information.cms, owner-certificate.cms,
                    ownership-voucher.vcj, reporting-level}
  --images DIR      files served at /images/<name> (HTTP Range supported)
  --cert FILE       server certificate chain (PEM)
  --key FILE        server private key (PEM)
  --client-ca FILE  CA that device (IDevID) certificates are checked against (PEM)
  --root PATH       RESTCONF root advertised by host-meta (default /restconf)
  --progress-status N  HTTP status for every report-progress (default 204)
  --log             print every request (method, path, client serial, authorised) on stdout
  -h, --help        this text

Prints "listening https://HOST:PORT" once ready.`;

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8443' },
    dir: { type: 'string' },
    images: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'client-ca': { type: 'string' },
    root: { type: 'string' },
    'progress-status': { type: 'string' },
    log: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help || values.cert === undefined || values.key === undefined) {
  process.stdout.write(HELP + '\n');
  process.exit(values.help ? 0 : 2);
}

const server = await startBootstrapServer({
  cert: readFileSync(values.cert),
  key: readFileSync(values.key),
  host: values.host,
  port: Number(values.port),
  ...(values['client-ca'] === undefined ? {} : { clientCa: readFileSync(values['client-ca']) }),
  ...(values.dir === undefined ? {} : { dir: values.dir }),
  ...(values.images === undefined ? {} : { imagesDir: values.images }),
  ...(values.root === undefined ? {} : { root: values.root }),
});
const status = values['progress-status'];
if (status !== undefined) server.progressStatus = () => Number(status);
if (values.log) {
  const push = server.requests.push.bind(server.requests);
  server.requests.push = (...items) => {
    for (const r of items)
      process.stdout.write(
        `${r.method} ${r.path} serial=${r.clientSerial ?? '-'} authorized=${r.authorized}${r.input === undefined ? '' : ` input=${JSON.stringify(r.input)}`}\n`,
      );
    return push(...items);
  };
}
process.stdout.write(`listening ${server.url}\n`);
const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
