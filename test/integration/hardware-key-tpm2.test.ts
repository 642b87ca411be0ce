/**
 * `tpm2:` IDevID keys at TPM 2.0 persistent handles, on a real software TPM (swtpm) through
 * tpm2-tools (issue 16): EC and RSA keys sign (verified with their public keys), ECDH agrees
 * with `openssl pkeyutl -derive`, RSA-OAEP (SHA-1, SHA-256) unwraps; IDevID certificates issued
 * from CSRs the TPM signed pass the start-up probe; `verify --idevid-key tpm2:…` decrypts ECDH
 * EnvelopedData made by `openssl cms -encrypt`; the certificate is read from an NV index
 * (`tpm2-nv:0x01C90000`); the agent, as a process, onboards from a USB stick whose conveyed
 * information is encrypted to the TPM key, with both key and certificate in the TPM. Missing handle, missing NV index, a TPM that never answers, a key that
 * is not the certificate's are coded errors; TLS with a handle-only key names the s_client helper.
 * @module
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_HARDWARE, openHardwareKey, readTpmCertificate } from '../../src/platform/device-key-hardware.ts';
import { tpm2DeviceKey } from '../../src/platform/device-key-tpm2.ts';
import { certDer, makeTestPki, openssl, writeEn9, ztpIni, type TestPki } from '../support/pki.ts';
import { EC_HANDLE, issueTpmCertificates, RSA_HANDLE, startSoftTpm, type SoftTpm } from '../support/swtpm.ts';
import { cli } from './cli-helpers.ts';
import { encryptedBundle, verifyArgs } from './token-key-helpers.ts';

const SERIAL = 'SN-TPM-0001';
let dir: string;
let pki: TestPki;
let tpm: SoftTpm;
const certs: Record<'ec' | 'rsa', string> = { ec: '', rsa: '' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sztp-tpm2-'));
  pki = makeTestPki(join(dir, 'pki'), 'p256', SERIAL);
  tpm = await startSoftTpm(dir);
  // IDevID certificates from CSRs the TPM signed (through the tpm2 DeviceKey), issued by the manufacturer CA.
  Object.assign(certs, await issueTpmCertificates(dir, pki, tpm.tcti, (h) => tpm.publicKeyPem(h)));
  // The TCG IDevID certificate NV index holds the EC certificate (the index may be larger than the DER).
  const der = certDer(certs.ec);
  writeFileSync(join(dir, 'nv.der'), der);
  tpm.tool([
    'tpm2_nvdefine',
    '0x01C90000',
    '-C',
    'o',
    '-s',
    String(der.length + 16),
    '-a',
    'ownerwrite|ownerread|authread|authwrite',
  ]);
  tpm.tool(['tpm2_nvwrite', '0x01C90000', '-C', 'o', '-i', join(dir, 'nv.der')]);
});
after(async () => {
  await tpm.stop();
  rmSync(dir, { recursive: true, force: true });
});

const readPem = (p: string): string => readFileSync(p, 'utf8');
const settings = (o: Partial<typeof DEFAULT_HARDWARE> = {}): typeof DEFAULT_HARDWARE => ({
  ...DEFAULT_HARDWARE,
  tpm2Tcti: tpm.tcti,
  ...o,
});

describe('tpm2 key at a persistent handle (swtpm, tpm2-tools)', () => {
  test('EC and RSA: the start-up probe passes with certificates issued from TPM-signed CSRs (openssl req -verify)', async () => {
    for (const k of ['ec', 'rsa'] as const) {
      openssl(['req', '-inform', 'DER', '-in', join(dir, `${k}.csr`), '-verify', '-noout']);
      const key = await openHardwareKey(
        { kind: 'tpm2', handle: k === 'ec' ? EC_HANDLE : RSA_HANDLE },
        certDer(certs[k]),
        settings(),
      );
      assert.equal(key.kind, 'tpm2');
      assert.equal(key.type, k);
      const sig = await key.sign(Buffer.from('data'), 'sha256');
      assert.ok(verify('sha256', Buffer.from('data'), new X509Certificate(readPem(certs[k])).publicKey, sig));
    }
  });

  test('ECDH equals openssl pkeyutl -derive with the TPM public key', async () => {
    const key = await openHardwareKey({ kind: 'tpm2', handle: EC_HANDLE }, certDer(certs.ec), settings());
    const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(join(dir, 'peer.key'), peer.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'tpm-ec.pub'), tpm.publicKeyPem(EC_HANDLE));
    const expected = openssl([
      'pkeyutl',
      '-derive',
      '-inkey',
      join(dir, 'peer.key'),
      '-peerkey',
      join(dir, 'tpm-ec.pub'),
    ]);
    assert.deepEqual(
      Buffer.from(await key.deriveEcdh(new Uint8Array(peer.publicKey.export({ type: 'spki', format: 'der' })))),
      expected,
    );
  });

  test('RSA-OAEP SHA-1 and SHA-256 unwrap what openssl pkeyutl encrypted', async () => {
    const key = await openHardwareKey({ kind: 'tpm2', handle: RSA_HANDLE }, certDer(certs.rsa), settings());
    const cek = Buffer.alloc(32, 0x5a);
    writeFileSync(join(dir, 'cek'), cek);
    for (const d of ['sha1', 'sha256'] as const) {
      const wrapped = openssl([
        'pkeyutl',
        '-encrypt',
        '-certin',
        '-inkey',
        certs.rsa,
        '-pkeyopt',
        'rsa_padding_mode:oaep',
        '-pkeyopt',
        `rsa_oaep_md:${d}`,
        '-pkeyopt',
        `rsa_mgf1_md:${d}`,
        '-in',
        join(dir, 'cek'),
      ]);
      assert.deepEqual(Buffer.from(await key.unwrapRsaOaep(wrapped, d)), cek);
    }
  });

  test('verify --idevid-key tpm2:… decrypts ECDH EnvelopedData made by openssl cms -encrypt', async () => {
    const bundle = encryptedBundle(pki, dir, certs.ec, [], 'tpm');
    const r = await cli(
      verifyArgs(pki, dir, 'ecdh', bundle, SERIAL, certs.ec, [
        '--idevid-key',
        `tpm2:${EC_HANDLE}`,
        '--tpm2-tcti',
        tpm.tcti,
      ]),
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(Buffer.from('hostname tpm\n').toString('base64')));
  });

  test('tpm2-nv:0x01C90000: the IDevID certificate is read from the NV index; a missing index is SZTP_ERR_DEVICE_KEY_NOT_FOUND', async () => {
    assert.deepEqual(Buffer.from(await readTpmCertificate('0x01c90000', settings())), certDer(certs.ec));
    await assert.rejects(readTpmCertificate('0x01c90001', settings()), { code: 'SZTP_ERR_DEVICE_KEY_NOT_FOUND' });
  });

  test("missing handle → SZTP_ERR_DEVICE_KEY_NOT_FOUND; key not the certificate's → SZTP_ERR_DEVICE_KEY_MISMATCH", async () => {
    await assert.rejects(openHardwareKey({ kind: 'tpm2', handle: '0x81000009' }, certDer(certs.ec), settings()), {
      code: 'SZTP_ERR_DEVICE_KEY_NOT_FOUND',
    });
    await assert.rejects(openHardwareKey({ kind: 'tpm2', handle: EC_HANDLE }, certDer(pki.device.cert), settings()), {
      code: 'SZTP_ERR_DEVICE_KEY_MISMATCH',
    });
  });

  test('a TPM that accepts the connection and never answers → SZTP_ERR_DEVICE_KEY_TIMEOUT within the deadline', async () => {
    // swtpm's TCTI talks to two ports (command, control): both accept and never answer.
    const sockets: Socket[] = [];
    const listen = (port: number): Promise<Server | undefined> =>
      new Promise((resolve) => {
        const srv = createServer((s) => {
          sockets.push(s);
        });
        srv.once('error', () => {
          resolve(undefined);
        });
        srv.listen(port, '127.0.0.1', () => {
          resolve(srv);
        });
      });
    let silent: Server[] = [];
    let port = 0;
    while (silent.length === 0) {
      const first = await listen(0);
      port = (first?.address() as { port: number } | undefined)?.port ?? 0;
      const second = await listen(port + 1);
      if (first !== undefined && second !== undefined) silent = [first, second];
      else for (const x of [first, second]) x?.close();
    }
    try {
      const t0 = Date.now();
      await assert.rejects(
        openHardwareKey(
          { kind: 'tpm2', handle: EC_HANDLE },
          certDer(certs.ec),
          settings({ tpm2Tcti: `swtpm:host=127.0.0.1,port=${port}`, keyTimeoutSeconds: 1 }),
        ),
        { code: 'SZTP_ERR_DEVICE_KEY_TIMEOUT' },
      );
      assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms`);
    } finally {
      for (const s of sockets) s.destroy();
      await Promise.all(
        silent.map(
          (x) =>
            new Promise((resolve) => {
              x.close(resolve);
            }),
        ),
      );
    }
  });

  test('agent run with idevid_key tpm2:0x81000002 and idevid_cert tpm2-nv:0x01C90000: a USB stick whose conveyed information is encrypted to the TPM key is decrypted and applied', async () => {
    const box = join(dir, 'usb-run');
    const stick = join(box, 'usb');
    writeEn9(stick, encryptedBundle(pki, dir, certs.ec, ['-keyopt', 'ecdh_kdf_md:sha256'], 'tpm-usb'));
    const ini = join(box, 'ztp.ini');
    writeFileSync(
      ini,
      ztpIni(pki, join(box, 'state'), {
        Device: { idevid_cert: 'tpm2-nv:0x01C90000', idevid_key: `tpm2:${EC_HANDLE}`, tpm2_tcti: tpm.tcti },
        'Fetcher Priority': { USB: '0' },
        USB: { mount_points: stick },
        Router: {
          adapter: 'simulated',
          root: join(box, 'router'),
          os_name: 'SimOS',
          os_version: '1.0',
          hw_model: 'sim-1',
        },
      }),
    );
    const r = await cli(['--config', ini, 'run', '--once']);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.equal(readFileSync(join(box, 'router', 'running-config'), 'utf8'), 'hostname tpm-usb\n');
    const status = await cli(['--config', ini, 'status']);
    assert.match(status.stdout, /^idevid-key: +tpm2 0x81000002$/m);
  });

  test('TLS with a handle-only key goes through the s_client helper with the tpm2 provider (no longer SZTP_ERR_DEVICE_KEY_UNSUPPORTED; end to end: hardware-key-tpm2-tls.test.ts)', async () => {
    const key = tpm2DeviceKey({ handle: EC_HANDLE, tcti: tpm.tcti, timeoutMs: 5000, type: 'ec' });
    const tls = await key.tlsClientOptions();
    assert.ok('helper' in tls, 'a helper, not in-process TLS options');
    assert.deepEqual(tls.helper.opensslArgs.slice(-2), ['-key', `handle:${EC_HANDLE}`]);
    assert.ok(tls.helper.opensslArgs.includes('tpm2'));
    assert.equal(tls.helper.env.TPM2OPENSSL_TCTI, tpm.tcti);
  });
});
