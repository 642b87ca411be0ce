// Full mutual-TLS handshakes (new TCP connection each, no session resumption) against a loopback
// node:tls server that requires a client certificate (the server is not authenticated: only the
// client key matters here); the client key is a PEM key or a PKCS#11
// engine key. Prints one JSON line: {median, mean, rssMb}. Used by bench/hardware-keys.ts, which
// starts this process with OPENSSL_CONF (engine pre-loaded) when the key is on a token.
// argv: serverCert serverKey clientCa clientCert (pem-key-file | pkcs11-uri) runs
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:tls';

const [serverCert, serverKey, clientCa, clientCert, key, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 50);
const keyOptions = key.startsWith('pkcs11:')
  ? { privateKeyEngine: 'pkcs11', privateKeyIdentifier: key }
  : { key: readFileSync(key) };
const server = createServer(
  {
    cert: readFileSync(serverCert),
    key: readFileSync(serverKey),
    ca: [readFileSync(clientCa)],
    requestCert: true,
    rejectUnauthorized: true,
  },
  (s) => {
    s.end('ok');
  },
);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address();
const cert = readFileSync(clientCert);
const times = [];
for (let i = 0; i < runs + 3; i++) {
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const c = connect({
      host: '127.0.0.1',
      port,
      cert,
      ...keyOptions,
      rejectUnauthorized: false,
      maxVersion: 'TLSv1.3',
    });
    c.on('data', () => {
      c.end();
      resolve();
    });
    c.on('error', reject);
  });
  if (i >= 3) times.push(performance.now() - t0);
}
server.close();
times.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    median: times[Math.floor(times.length / 2)],
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    rssMb: process.memoryUsage().rss / 2 ** 20,
  }),
);
