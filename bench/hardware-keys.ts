/**
 * IDevID keys in hardware (docs/hardware-keys.md) against the file key, in one run: full
 * mutual-TLS handshakes (median, and the client's RSS) with a PEM key and with SoftHSM2 and
 * tpm2-pkcs11 (swtpm behind tpm2-abrmd) keys through the PKCS#11 engine; sign / RSA-OAEP unwrap /
 * ECDH through the DeviceKey port with the file key, the `pkcs11` keys (openssl pkeyutl children)
 * and the `tpm2` key (tpm2-tools children, swtpm); process start-up with and without the engine
 * configuration; one RESTCONF request (new connection) in-process with the file key against the
 * `openssl s_client` helper with a TPM handle-only key (tpm2 provider, behind tpm2-abrmd). Prints
 * ratios against the file key (and plain start-up). swtpm is a software TPM: a hardware TPM is
 * much slower. `npm run bench -- hardware-keys` (needs softhsm2, opensc, libengine-pkcs11-openssl,
 * swtpm, tpm2-tools, tpm2-openssl, tpm2-abrmd, libtpm2-pkcs11-1, libtpm2-pkcs11-tools).
 * @module
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { discoverRoot } from '../src/bootstrap/restconf.ts';
import { openConnection, type ConnectionSettings } from '../src/bootstrap/tls.ts';
import type { DeviceKey } from '../src/contracts/device-key.ts';
import { fileDeviceKey } from '../src/platform/device-key-file.ts';
import { pkcs11DeviceKey } from '../src/platform/device-key-pkcs11.ts';
import { tpm2DeviceKey } from '../src/platform/device-key-tpm2.ts';
import { defaultEnginePath } from '../src/platform/openssl-engine.ts';
import { pemKeyPkcs8 } from '../test/support/fixtures.ts';
import { startBootstrapServer } from '../test/support/bootstrap-server.ts';
import { certDer, makeTestPki, openssl } from '../test/support/pki.ts';
import { makeSoftHsmToken } from '../test/support/softhsm.ts';
import { EC_HANDLE, issueTpmCertificates, RSA_HANDLE, startSoftTpm, startTpmBroker } from '../test/support/swtpm.ts';
import { startTpmToken } from '../test/support/tpm2-pkcs11.ts';

const here = dirname(fileURLToPath(import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const work = mkdtempSync(join(tmpdir(), 'sztp-bench-hw-'));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

/** Median time of `f`; `after` runs untimed after each call. */
async function timeOp(f: () => Promise<unknown>, runs: number, after: () => void): Promise<number> {
  await f();
  after();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    t.push(performance.now() - t0);
    after();
  }
  return median(t);
}

const tpm = await startSoftTpm(work);
const ecPki = makeTestPki(join(work, 'pki-ec'), 'p256', 'SN-BENCH');
const tok = await startTpmToken(join(work, 'tpm-p11'), ecPki.manufacturer, 'SN-BENCH');
try {
  const rsaPki = makeTestPki(join(work, 'pki-rsa'), 'rsa', 'SN-BENCH');
  const hsm = makeSoftHsmToken(join(work, 'hsm'), ecPki.manufacturer, 'SN-BENCH');
  const engine = defaultEnginePath();

  console.log(`TLS: ${RUNS} full mutual-TLS handshakes (TLS 1.3, new connection each), median; client RSS at the end`);
  const tls = (clientCert: string, key: string, ca: string, engineConf?: string): { median: number; rssMb: number } => {
    const out = execFileSync(
      process.execPath,
      [
        join(here, 'support', 'tls-handshakes.mjs'),
        ecPki.server.cert,
        ecPki.server.key,
        ca,
        clientCert,
        key,
        String(RUNS),
      ],
      { env: { ...process.env, ...hsm.env, ...(engineConf === undefined ? {} : { OPENSSL_CONF: engineConf }) } },
    ).toString();
    return JSON.parse(out) as { median: number; rssMb: number };
  };
  const rows: [string, { median: number; rssMb: number }, number][] = [];
  const fileEc = tls(ecPki.device.cert, ecPki.device.key, ecPki.manufacturer.cert);
  const fileRsa = tls(rsaPki.device.cert, rsaPki.device.key, rsaPki.manufacturer.cert);
  rows.push(['file P-256', fileEc, fileEc.median], ['file RSA-2048', fileRsa, fileRsa.median]);
  for (const [token, t] of [
    ['SoftHSM2', hsm],
    ['tpm2-pkcs11', tok],
  ] as const) {
    const tokenPin = `?pin-source=file:${t.pinFile}`;
    rows.push(
      [
        `pkcs11 ${token} P-256`,
        tls(t.ec.cert, t.ec.uri + tokenPin, ecPki.manufacturer.cert, t.engineConf),
        fileEc.median,
      ],
      [
        `pkcs11 ${token} RSA-2048`,
        tls(t.rsa.cert, t.rsa.uri + tokenPin, ecPki.manufacturer.cert, t.engineConf),
        fileRsa.median,
      ],
    );
  }
  for (const [name, r, base] of rows)
    console.log(
      `  ${name.padEnd(28)} ${fmt(r.median).padStart(10)}  ×${(r.median / base).toFixed(2)} vs file   RSS ${r.rssMb.toFixed(1)} MB`,
    );
  console.log('  tpm2 handle-only key       no in-process TLS on Node 20: the s_client helper, per request below');

  console.log(
    `\nDeviceKey operations, median of ${Math.max(5, Math.floor(RUNS / 3))} (children include process start-up)`,
  );
  const n = Math.max(5, Math.floor(RUNS / 3));
  const data = Buffer.from('tbs certification request info');
  const peer = new Uint8Array(
    generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }),
  );
  const cek = Buffer.alloc(32, 7);
  writeFileSync(join(work, 'cek'), cek);
  const wrappedFor = (cert: string): Buffer =>
    openssl([
      'pkeyutl',
      '-encrypt',
      '-certin',
      '-inkey',
      cert,
      '-pkeyopt',
      'rsa_padding_mode:oaep',
      '-in',
      join(work, 'cek'),
    ]);
  const tpmRsaPem = join(work, 'tpm-rsa.pem');
  writeFileSync(tpmRsaPem, tpm.publicKeyPem(RSA_HANDLE));
  const tpmWrapped = openssl([
    'pkeyutl',
    '-encrypt',
    '-pubin',
    '-inkey',
    tpmRsaPem,
    '-pkeyopt',
    'rsa_padding_mode:oaep',
    '-in',
    join(work, 'cek'),
  ]);
  const keys: [string, DeviceKey, DeviceKey, Buffer][] = [
    [
      'file',
      fileDeviceKey(pemKeyPkcs8(ecPki.device.key)),
      fileDeviceKey(pemKeyPkcs8(rsaPki.device.key)),
      wrappedFor(rsaPki.device.cert),
    ],
    [
      'pkcs11 (SoftHSM2)',
      pkcs11DeviceKey({
        uri: hsm.ec.uri,
        module: hsm.module,
        pinFile: hsm.pinFile,
        engine,
        timeoutMs: 10_000,
        type: 'ec',
      }),
      pkcs11DeviceKey({
        uri: hsm.rsa.uri,
        module: hsm.module,
        pinFile: hsm.pinFile,
        engine,
        timeoutMs: 10_000,
        type: 'rsa',
      }),
      wrappedFor(hsm.rsa.cert),
    ],
    [
      'pkcs11 (tpm2-pkcs11)',
      pkcs11DeviceKey({
        uri: tok.ec.uri,
        module: tok.module,
        pinFile: tok.pinFile,
        engine,
        timeoutMs: 10_000,
        type: 'ec',
      }),
      pkcs11DeviceKey({
        uri: tok.rsa.uri,
        module: tok.module,
        pinFile: tok.pinFile,
        engine,
        timeoutMs: 10_000,
        type: 'rsa',
      }),
      wrappedFor(tok.rsa.cert),
    ],
    [
      'tpm2 (swtpm)',
      tpm2DeviceKey({ handle: EC_HANDLE, tcti: tpm.tcti, timeoutMs: 10_000, type: 'ec' }),
      tpm2DeviceKey({ handle: RSA_HANDLE, tcti: tpm.tcti, timeoutMs: 10_000, type: 'rsa' }),
      tpmWrapped,
    ],
  ];
  const base: number[] = [];
  for (const [i, [name, ec, rsa, wrapped]] of keys.entries()) {
    // swtpm has no resource manager: tpm2_ecdhzgen (tpm2-tools 5.4) leaves a loaded session each call; flushed here (a device's /dev/tpmrm0 does that itself).
    const after = name.startsWith('tpm2')
      ? () => {
          tpm.tool(['tpm2_flushcontext', '-l']);
        }
      : () => undefined;
    const m = [
      await timeOp(() => ec.sign(data, 'sha256'), n, after),
      await timeOp(() => rsa.sign(data, 'sha256'), n, after),
      await timeOp(() => rsa.unwrapRsaOaep(wrapped, 'sha1'), n, after),
      // tpm2-pkcs11 has no CKM_ECDH1_DERIVE (docs/hardware-keys.md).
      name.includes('tpm2-pkcs11') ? Number.NaN : await timeOp(() => ec.deriveEcdh(peer), n, after),
    ];
    if (i === 0) base.push(...m);
    const cell = (v: number, j: number): string =>
      Number.isNaN(v) ? 'n/a (no ECDH)' : `${fmt(v)} (×${(v / (base[j] ?? 1)).toFixed(0)})`;
    console.log(
      `  ${name.padEnd(20)} ECDSA sign ${cell(m[0] ?? 0, 0)}  RSA sign ${cell(m[1] ?? 0, 1)}  OAEP decrypt ${cell(m[2] ?? 0, 2)}  ECDH ${cell(m[3] ?? 0, 3)}`,
    );
  }

  console.log('\nStart-up: `node -e 0`, median of 10');
  const startup = (env: Record<string, string>): number => {
    const t: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      execFileSync(process.execPath, ['-e', '0'], { env: { ...process.env, ...env } });
      t.push(performance.now() - t0);
    }
    return median(t);
  };
  const plain = startup({});
  const withEngine = startup({ ...hsm.env, OPENSSL_CONF: hsm.engineConf });
  console.log(
    `  plain ${fmt(plain)}   with the engine configuration ${fmt(withEngine)} (×${(withEngine / plain).toFixed(2)})`,
  );

  // Last: from here on the broker holds swtpm's only connection.
  const broker = await startTpmBroker(work, tpm);
  try {
    mkdirSync(join(work, 'tpm-certs'));
    const tpmCerts = await issueTpmCertificates(join(work, 'tpm-certs'), ecPki, broker.tcti, (h) =>
      broker.publicKeyPem(h),
    );
    const server = await startBootstrapServer({
      cert: readFileSync(ecPki.server.cert),
      key: readFileSync(ecPki.server.key),
      clientCa: readFileSync(ecPki.manufacturer.cert),
    });
    try {
      console.log(
        `\nRESTCONF request (GET host-meta, pinned server, new connection each: openConnection + discoverRoot + close), median of ${n}`,
      );
      const perRequest = async (cert: string, key: DeviceKey): Promise<number> => {
        const settings: ConnectionSettings = {
          credentials: { certificate: certDer(cert), chain: [], key },
          clientKey: await key.tlsClientOptions(),
          clockTrusted: true,
          now: () => new Date(),
          connectTimeoutMs: 10_000,
          responseTimeoutMs: 10_000,
          maxResponseBytes: 1 << 20,
        };
        const mode = { kind: 'pinned', anchors: [certDer(ecPki.serverCa.cert)] } as const;
        return timeOp(
          async () => {
            const conn = openConnection({ address: 'localhost', port: server.port, ip: '127.0.0.1' }, mode, settings);
            try {
              await discoverRoot(conn, new AbortController().signal);
            } finally {
              await conn.close();
            }
          },
          n,
          () => undefined,
        );
      };
      const inProcess = await perRequest(ecPki.device.cert, fileDeviceKey(pemKeyPkcs8(ecPki.device.key)));
      console.log(`  file P-256, in-process (undici)       ${fmt(inProcess).padStart(10)}`);
      for (const [name, cert, handle, type] of [
        ['tpm2 P-256, s_client helper', tpmCerts.ec, EC_HANDLE, 'ec'],
        ['tpm2 RSA-2048, s_client helper', tpmCerts.rsa, RSA_HANDLE, 'rsa'],
      ] as const) {
        const ms = await perRequest(cert, tpm2DeviceKey({ handle, tcti: broker.tcti, timeoutMs: 10_000, type }));
        console.log(`  ${name.padEnd(37)} ${fmt(ms).padStart(10)}  ×${(ms / inProcess).toFixed(1)} vs file`);
      }
    } finally {
      await server.close();
    }
  } finally {
    await broker.stop();
  }
} finally {
  await tok.stop();
  await tpm.stop();
  rmSync(work, { recursive: true, force: true });
}
