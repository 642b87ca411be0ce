/**
 * `pkcs11:` IDevID keys on a real SoftHSM2 token (issue 16): RSA-2048 and P-256 keys generated on
 * the token, certificates issued from CSRs the token signed. The agent, as a process, onboards
 * from the mutual-TLS test bootstrap server with the token key (the server sees the token's
 * certificate; its RFC 9646 CSR reuses the token key, X-08) and decrypts conveyed information that `openssl cms -encrypt` encrypted to it;
 * `verify --idevid-key pkcs11:…` decrypts RSA-OAEP (SHA-1, SHA-256) and ECDH EnvelopedData; the
 * token signs an RFC 9646 CSR that `openssl req -verify` accepts. Wrong PIN, missing object,
 * missing token, missing module, a module that hangs and a key that is not the certificate's
 * are each a coded error at start-up. A canary fails loudly when node:tls `privateKeyEngine`
 * stops working on this Node.
 * @module
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isSztpError } from '../../src/errors.ts';
import { DEFAULT_HARDWARE, openHardwareKey } from '../../src/platform/device-key-hardware.ts';
import { CSR_REQUEST } from '../support/bootstrap-fixtures.ts';
import { certDer, makeTestPki, openssl, type TestPki } from '../support/pki.ts';
import { bootstrappingReply } from '../support/bootstrap-server.ts';
import { makeSoftHsmToken, type SoftHsmToken } from '../support/softhsm.ts';
import { cli, finish, logLines, start } from './cli-helpers.ts';
import {
  assertStartupRefusals,
  assertTokenSignsCsr,
  encryptedBundle,
  startMtlsServer,
  tokenKeyArgs,
  verifyArgs,
  writeTokenIni,
} from './token-key-helpers.ts';

const SERIAL = 'SN-HSM-0001';
let dir: string;
let pki: TestPki;
let hsm: SoftHsmToken;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sztp-pkcs11-'));
  pki = makeTestPki(join(dir, 'pki'), 'p256', SERIAL);
  hsm = makeSoftHsmToken(join(dir, 'hsm'), pki.manufacturer, SERIAL);
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const settings = (o: Partial<typeof DEFAULT_HARDWARE> = {}): typeof DEFAULT_HARDWARE => ({
  ...DEFAULT_HARDWARE,
  pkcs11Module: hsm.module,
  pkcs11PinFile: hsm.pinFile,
  ...o,
});
const uriOf = (k: 'rsa' | 'ec'): { kind: 'pkcs11'; uri: string } => ({ kind: 'pkcs11', uri: hsm[k].uri });

describe('pkcs11 key on SoftHSM2', () => {
  test('canary: node:tls privateKeyEngine with the pre-loaded PKCS#11 engine works on this Node', () => {
    const script = `const tls=require('node:tls');const fs=require('node:fs');
      tls.createSecureContext({cert:fs.readFileSync(process.argv[1]),privateKeyEngine:'pkcs11',privateKeyIdentifier:process.argv[2]});
      tls.createSecureContext({cert:fs.readFileSync(process.argv[1]),privateKeyEngine:'pkcs11',privateKeyIdentifier:process.argv[2]});console.log('engine ok');`;
    const out = execFileSync(
      process.execPath,
      ['-e', script, hsm.ec.cert, `${hsm.ec.uri}?pin-source=file:${hsm.pinFile}`],
      { env: { ...process.env, ...hsm.env, OPENSSL_CONF: hsm.engineConf }, stdio: ['ignore', 'pipe', 'pipe'] },
    ).toString();
    assert.match(
      out,
      /engine ok/,
      'privateKeyEngine no longer works: in-process TLS with token keys is broken on this Node (docs/hardware-keys.md, risks)',
    );
  });

  for (const k of ['rsa', 'ec'] as const) {
    test(`${k}: start-up probe passes; a CSR signed by the token passes openssl req -verify`, async () => {
      const cert = certDer(hsm[k].cert);
      const key = await openHardwareKey(uriOf(k), cert, settings());
      assert.equal(key.kind, 'pkcs11');
      assert.equal(key.type, k);
      await assertTokenSignsCsr(key, hsm[k].cert, dir, SERIAL);
    });
  }

  const cases = [
    ['rsa', 'RSA-OAEP SHA-1', ['-keyopt', 'rsa_padding_mode:oaep']],
    ['rsa', 'RSA-OAEP SHA-256', ['-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256']],
    ['ec', 'ECDH (X9.63 SHA-1 KDF)', []],
    ['ec', 'ECDH (X9.63 SHA-256 KDF)', ['-keyopt', 'ecdh_kdf_md:sha256']],
  ] as const;
  for (const [k, name, keyopts] of cases) {
    test(`verify --idevid-key pkcs11:… decrypts ${name} EnvelopedData made by openssl cms -encrypt`, async () => {
      const b = encryptedBundle(pki, dir, hsm[k].cert, keyopts, `v-${k}`);
      const r = await cli(verifyArgs(pki, dir, `v-${k}`, b, SERIAL, hsm[k].cert, tokenKeyArgs(hsm[k], hsm)));
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(
        (JSON.parse(r.stdout) as { conveyedInformation: Record<string, { configuration: string }> })
          .conveyedInformation['ietf-sztp-conveyed-info:onboarding-information']?.configuration,
        Buffer.from(`hostname v-${k}\n`).toString('base64'),
      );
      assert.doesNotMatch(r.stdout + r.stderr, /1234/, 'the PIN is never printed');
    });
  }

  for (const k of ['rsa', 'ec'] as const) {
    test(`agent run (${k} token key): mutual TLS with the token's certificate, encrypted conveyed information decrypted and applied`, async () => {
      const server = await startMtlsServer(pki);
      try {
        const reply = bootstrappingReply(
          encryptedBundle(pki, dir, hsm[k].cert, k === 'rsa' ? ['-keyopt', 'rsa_padding_mode:oaep'] : [], `tls-${k}`),
        );
        // RFC 9646 round trip first: csr-support without key-generation (X-08: the IDevID key is reused), then the p10-csr.
        server.onGetBootstrappingData = (req) => {
          if (!req.authorized || req.clientSerial !== SERIAL) return undefined;
          return req.input?.['ietf-sztp-csr:csr-support'] !== undefined ? CSR_REQUEST : reply;
        };
        const { box, ini } = writeTokenIni(
          pki,
          dir,
          `run-${k}`,
          { idevid_cert: hsm[k].cert, idevid_key: hsm[k].uri, pkcs11_module: hsm.module, pkcs11_pin_file: hsm.pinFile },
          { servers: server.url, csr_support: 'True' },
        );
        const r = await cli(['--config', ini, 'run', '--once']);
        assert.equal(r.code, 0, r.stderr.slice(-3000));
        assert.equal(readFileSync(join(box, 'router', 'running-config'), 'utf8'), `hostname tls-${k}\n`);
        const inputs = server.bootstrapRequests().map((q) => q.input ?? {});
        assert.equal(inputs.length, 2);
        assert.deepEqual(
          Object.keys(inputs[0]?.['ietf-sztp-csr:csr-support'] as object),
          ['csr-generation'],
          'no key-generation offered (X-08)',
        );
        const csr = Buffer.from(String(inputs[1]?.['ietf-sztp-csr:p10-csr']), 'base64');
        openssl(['req', '-inform', 'DER', '-verify', '-noout'], csr);
        assert.equal(
          openssl(['req', '-inform', 'DER', '-pubkey', '-noout'], csr).toString(),
          openssl(['x509', '-in', hsm[k].cert, '-pubkey', '-noout']).toString(),
          'the CSR carries the token key, signed by the token',
        );
        assert.equal(server.bootstrapRequests()[1]?.clientSerial, SERIAL);
        assert.doesNotMatch(r.stderr, /1234/, 'the PIN is never logged');
        const config = await cli(['--config', ini, 'config']);
        assert.match(config.stdout, /idevid_key[^\n]*pkcs11:token=/);
        const status = await cli(['--config', ini, 'status']);
        assert.match(
          status.stdout,
          new RegExp(`^idevid-key: +pkcs11 pkcs11:token=idevid;object=idevid-${k};type=private$`, 'm'),
        );
        assert.doesNotMatch(
          config.stdout + config.stderr + status.stdout + status.stderr,
          /1234/,
          'config and status never print the PIN',
        );
      } finally {
        await server.close();
      }
    });
  }

  /** The agent with a token key and a server that never answers, and the pid of its engine child once that runs. */
  async function agentWithEngineChild(
    name: string,
    device: Record<string, string> = {},
  ): Promise<{ agent: ReturnType<typeof start>; done: ReturnType<typeof finish>; childPid: number }> {
    const { ini } = writeTokenIni(
      pki,
      dir,
      name,
      {
        idevid_cert: hsm.ec.cert,
        idevid_key: hsm.ec.uri,
        pkcs11_module: hsm.module,
        pkcs11_pin_file: hsm.pinFile,
        ...device,
      },
      { servers: 'https://127.0.0.1:9' },
      { Startup: { start: 'True', retry_forever: 'True' } },
    );
    const agent = start(['--config', ini, 'run']);
    const done = finish(agent);
    let stderr = '';
    agent.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const deadline = Date.now() + 30_000;
    let childPid: number | undefined;
    while (childPid === undefined && Date.now() < deadline) {
      childPid = logLines(stderr).find((l) => typeof l.pid === 'number' && typeof l.opensslConf === 'string')?.pid as
        number | undefined;
      // Wait until the child itself has started (its own "secure ZTP started" line).
      if (childPid !== undefined && !logLines(stderr).some((l) => l.pid === childPid)) childPid = undefined;
      await sleep(100);
    }
    assert.ok(childPid !== undefined, stderr.slice(-2000));
    return { agent, done, childPid };
  }

  test('SIGTERM ends the agent within 5 s even when its engine child is stuck (stopped): the parent kills it', async () => {
    const { agent, done, childPid } = await agentWithEngineChild('stuck');
    process.kill(childPid, 'SIGSTOP'); // as if the token hung inside a TLS handshake: the child's own event loop is stuck
    const t0 = Date.now();
    agent.kill('SIGTERM');
    const r = await done;
    const took = Date.now() - t0;
    assert.ok(took < 5000, `took ${took} ms`);
    assert.throws(
      () => {
        process.kill(childPid, 0);
      },
      { code: 'ESRCH' },
      'the stuck child is gone',
    );
    assert.match(r.stderr, /still running 4000 ms after SIGTERM: killed/);
  });

  test('without any signal, an engine child that stops answering (heartbeat silent for 3 × key_timeout_seconds, at least 5 s) is killed and run exits 1', async () => {
    const { done, childPid } = await agentWithEngineChild('silent', { key_timeout_seconds: '1' });
    await sleep(2500); // heartbeats arrive while the child runs: no kill yet
    assert.doesNotThrow(() => {
      process.kill(childPid, 0);
    }, 'a child that beats is left alone');
    process.kill(childPid, 'SIGSTOP');
    const t0 = Date.now();
    const r = await done;
    const took = Date.now() - t0;
    assert.equal(r.code, 1);
    assert.ok(took >= 3000 && took < 12_000, `took ${took} ms`);
    assert.throws(
      () => {
        process.kill(childPid, 0);
      },
      { code: 'ESRCH' },
      'the stuck child is gone',
    );
    assert.ok(
      logLines(r.stderr).some((l) => l.code === 'SZTP_ERR_DEVICE_KEY_TIMEOUT' && l.pid === childPid),
      r.stderr.slice(-2000),
    );
  });

  const refused = async (
    ref: { kind: 'pkcs11'; uri: string },
    cert: string,
    o: Partial<typeof DEFAULT_HARDWARE>,
    code: string,
  ): Promise<void> => {
    const t0 = Date.now();
    await assert.rejects(
      openHardwareKey(ref, certDer(cert), settings(o)),
      (e: unknown) => isSztpError(e) && e.code === code && !/1234|9999/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 8000);
  };
  test('wrong PIN → SZTP_ERR_DEVICE_KEY_PIN; unreadable PIN file → SZTP_ERR_DEVICE_KEY_PIN', async () => {
    await refused(uriOf('ec'), hsm.ec.cert, { pkcs11PinFile: hsm.wrongPinFile }, 'SZTP_ERR_DEVICE_KEY_PIN');
    await refused(uriOf('ec'), hsm.ec.cert, { pkcs11PinFile: join(dir, 'no-such-pin') }, 'SZTP_ERR_DEVICE_KEY_PIN');
  });
  test('missing object, missing token → SZTP_ERR_DEVICE_KEY_NOT_FOUND', async () => {
    await refused(
      { kind: 'pkcs11', uri: 'pkcs11:token=idevid;object=no-such-key;type=private' },
      hsm.ec.cert,
      {},
      'SZTP_ERR_DEVICE_KEY_NOT_FOUND',
    );
    await refused(
      { kind: 'pkcs11', uri: 'pkcs11:token=no-such-token;object=idevid-ec;type=private' },
      hsm.ec.cert,
      {},
      'SZTP_ERR_DEVICE_KEY_NOT_FOUND',
    );
  });
  test('missing module, a module that is not one → SZTP_ERR_DEVICE_KEY_MODULE', async () => {
    await refused(
      uriOf('ec'),
      hsm.ec.cert,
      { pkcs11Module: join(dir, 'no-such-module.so') },
      'SZTP_ERR_DEVICE_KEY_MODULE',
    );
    writeFileSync(join(dir, 'not-a-module.so'), 'not an ELF file');
    await refused(
      uriOf('ec'),
      hsm.ec.cert,
      { pkcs11Module: join(dir, 'not-a-module.so') },
      'SZTP_ERR_DEVICE_KEY_MODULE',
    );
  });
  test('a module that hangs (its file is a FIFO nobody writes) → SZTP_ERR_DEVICE_KEY_TIMEOUT within the deadline', async () => {
    const fifo = join(dir, 'hanging-module.so');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    await assert.rejects(
      openHardwareKey(uriOf('ec'), certDer(hsm.ec.cert), settings({ pkcs11Module: fifo, keyTimeoutSeconds: 1 })),
      { code: 'SZTP_ERR_DEVICE_KEY_TIMEOUT' },
    );
    assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms`);
  });
  test("the token key is not the certificate's → SZTP_ERR_DEVICE_KEY_MISMATCH; the agent refuses to start (exit 2)", async () => {
    await refused(uriOf('ec'), pki.device.cert, {}, 'SZTP_ERR_DEVICE_KEY_MISMATCH');
    const { ini } = writeTokenIni(
      pki,
      dir,
      'mismatch',
      { idevid_key: hsm.ec.uri, pkcs11_module: hsm.module, pkcs11_pin_file: hsm.pinFile },
      { servers: 'https://127.0.0.1:9' },
    );
    const r = await cli(['--config', ini, 'run', '--once']);
    assert.equal(r.code, 2, r.stderr.slice(-2000));
    assert.match(r.stderr, /SZTP_ERR_DEVICE_KEY_MISMATCH/);
  });

  test('agent run: a wrong PIN and a missing object are coded configuration errors at start-up (exit 2), before any server is contacted', async () => {
    await assertStartupRefusals(pki, dir, hsm);
  });
});
