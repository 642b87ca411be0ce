/**
 * `pkcs11:` IDevID keys on a TPM through tpm2-pkcs11 (issue 16): swtpm behind tpm2-abrmd on a
 * private D-Bus (test/support/tpm2-pkcs11.ts), RSA-2048 and P-256 keys generated in the TPM by
 * `tpm2_ptool`, certificates issued from CSRs the token signed. The agent, as a process, onboards
 * from the mutual-TLS test bootstrap server with the TPM key (the server sees the token's
 * certificate; conveyed information that `openssl cms -encrypt` encrypted to the RSA key with
 * RSA-OAEP is decrypted in the TPM and applied); the token signs an RFC 9646 CSR that `openssl req
 * -verify` accepts; `verify --idevid-key` decrypts RSA-OAEP SHA-1 and SHA-256. tpm2-pkcs11 (1.9,
 * Debian 12) has no ECDH: EnvelopedData for the EC key is SZTP_ERR_DEVICE_KEY_UNSUPPORTED. A wrong
 * PIN and a missing object are coded configuration errors at start-up (exit 2) before any server
 * is contacted.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_HARDWARE, openHardwareKey } from '../../src/platform/device-key-hardware.ts';
import { certDer, makeTestPki, type TestPki } from '../support/pki.ts';
import { bootstrappingReply } from '../support/bootstrap-server.ts';
import { startTpmToken, type TpmToken } from '../support/tpm2-pkcs11.ts';
import { cli } from './cli-helpers.ts';
import {
  assertStartupRefusals,
  assertTokenSignsCsr,
  encryptedBundle,
  startMtlsServer,
  tokenKeyArgs,
  verifyArgs,
  writeTokenIni,
} from './token-key-helpers.ts';

const SERIAL = 'SN-TPM-P11-0001';
let dir: string;
let pki: TestPki;
let tok: TpmToken;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sztp-tpm-p11-'));
  pki = makeTestPki(join(dir, 'pki'), 'p256', SERIAL);
  tok = await startTpmToken(join(dir, 'tpm'), pki.manufacturer, SERIAL);
});
after(async () => {
  await tok.stop();
  rmSync(dir, { recursive: true, force: true });
  for (const pid of tok.pids) {
    assert.throws(
      () => {
        process.kill(pid, 0);
      },
      { code: 'ESRCH' },
      `set-up process ${pid} is gone`,
    );
  }
});

const OAEP_SHA1 = ['-keyopt', 'rsa_padding_mode:oaep'];
const OAEP_SHA256 = [...OAEP_SHA1, '-keyopt', 'rsa_oaep_md:sha256'];

describe('pkcs11 key on a TPM through tpm2-pkcs11 (swtpm, tpm2-abrmd)', () => {
  for (const k of ['rsa', 'ec'] as const) {
    test(`${k}: start-up probe passes; a CSR signed by the TPM token passes openssl req -verify`, async () => {
      const cert = certDer(tok[k].cert);
      const key = await openHardwareKey({ kind: 'pkcs11', uri: tok[k].uri }, cert, {
        ...DEFAULT_HARDWARE,
        pkcs11Module: tok.module,
        pkcs11PinFile: tok.pinFile,
      });
      assert.equal(key.kind, 'pkcs11');
      assert.equal(key.type, k);
      await assertTokenSignsCsr(key, tok[k].cert, dir, SERIAL);
    });
  }

  for (const [name, keyopts] of [
    ['RSA-OAEP SHA-1', OAEP_SHA1],
    ['RSA-OAEP SHA-256', OAEP_SHA256],
  ] as const) {
    test(`verify --idevid-key pkcs11:… decrypts ${name} EnvelopedData made by openssl cms -encrypt, in the TPM`, async () => {
      const host = `v-${name.replace(/\W/g, '')}`;
      const b = encryptedBundle(pki, dir, tok.rsa.cert, keyopts, host);
      const r = await cli(verifyArgs(pki, dir, host, b, SERIAL, tok.rsa.cert, tokenKeyArgs(tok.rsa, tok)));
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(
        (JSON.parse(r.stdout) as { conveyedInformation: Record<string, { configuration: string }> })
          .conveyedInformation['ietf-sztp-conveyed-info:onboarding-information']?.configuration,
        Buffer.from(`hostname ${host}\n`).toString('base64'),
      );
      assert.doesNotMatch(r.stdout + r.stderr, /1234/, 'the PIN is never printed');
    });
  }

  test('ECDH EnvelopedData for the EC key: tpm2-pkcs11 has no CKM_ECDH1_DERIVE → SZTP_ERR_DEVICE_KEY_UNSUPPORTED (exit 1)', async () => {
    const b = encryptedBundle(pki, dir, tok.ec.cert, [], 'v-ecdh');
    const r = await cli(verifyArgs(pki, dir, 'v-ecdh', b, SERIAL, tok.ec.cert, tokenKeyArgs(tok.ec, tok)));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /SZTP_ERR_DEVICE_KEY_UNSUPPORTED/);
    assert.match(r.stdout + r.stderr, /Function not supported/);
  });

  for (const k of ['rsa', 'ec'] as const) {
    test(`agent run (${k} TPM key): mutual TLS with the token's certificate; ${k === 'rsa' ? 'RSA-OAEP encrypted' : 'signed'} conveyed information applied`, async () => {
      const server = await startMtlsServer(pki);
      try {
        const reply = bootstrappingReply(
          k === 'rsa'
            ? encryptedBundle(pki, dir, tok.rsa.cert, OAEP_SHA256, `tls-${k}`)
            : encryptedBundle(pki, dir, undefined, [], `tls-${k}`),
        );
        server.onGetBootstrappingData = (req) => (req.authorized && req.clientSerial === SERIAL ? reply : undefined);
        const { box, ini } = writeTokenIni(
          pki,
          dir,
          `run-${k}`,
          { idevid_cert: tok[k].cert, idevid_key: tok[k].uri, pkcs11_module: tok.module, pkcs11_pin_file: tok.pinFile },
          { servers: server.url },
        );
        const r = await cli(['--config', ini, 'run', '--once']);
        assert.equal(r.code, 0, r.stderr.slice(-3000));
        assert.equal(readFileSync(join(box, 'router', 'running-config'), 'utf8'), `hostname tls-${k}\n`);
        const requests = server.bootstrapRequests();
        assert.ok(requests.length >= 1);
        for (const q of requests) {
          assert.equal(q.authorized, true);
          assert.equal(q.clientSerial, SERIAL, 'the server saw the token certificate');
        }
        assert.doesNotMatch(r.stderr, /1234/, 'the PIN is never logged');
        const status = await cli(['--config', ini, 'status']);
        assert.match(
          status.stdout,
          new RegExp(`^idevid-key: +pkcs11 pkcs11:token=idevid;object=idevid-${k};type=private$`, 'm'),
        );
      } finally {
        await server.close();
      }
    });
  }

  test('agent run: a wrong PIN and a missing object are coded configuration errors at start-up (exit 2), before any server is contacted', async () => {
    await assertStartupRefusals(pki, dir, tok);
  });
});
