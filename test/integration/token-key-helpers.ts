/**
 * Shared cases of the PKCS#11 token tests (SoftHSM2, tpm2-pkcs11): conveyed information signed by
 * the test owner and, when a recipient certificate is given, encrypted to it by `openssl cms
 * -encrypt`; a CSR signed by the token key; the `sztp-agent verify` argv that decrypts it with a token key; and the start-up
 * refusals (wrong PIN, missing object: exit 2 before any server is contacted).
 * @module
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signCsr } from '../../src/bootstrap/csr.ts';
import type { DeviceKey } from '../../src/contracts/device-key.ts';
import { startBootstrapServer } from '../support/bootstrap-server.ts';
import { certDer, makeSignedBundle, onboardingJson, simulatedRouter, ztpIni, type TestPki } from '../support/pki.ts';
import type { PinToken, TokenKey } from '../support/token-cert.ts';
import { cli } from './cli-helpers.ts';

type Bundle = ReturnType<typeof makeSignedBundle>;

/** Onboarding information that sets `hostname`, signed by the owner, then encrypted to `recipient` (a PEM certificate path) if given. */
export function encryptedBundle(
  pki: TestPki,
  dir: string,
  recipient: string | undefined,
  keyopts: readonly string[],
  hostname: string,
): Bundle {
  const bundle = makeSignedBundle(
    pki,
    onboardingJson({ configuration: `hostname ${hostname}\n`, configurationHandling: 'replace' }),
  );
  if (recipient === undefined) return bundle;
  const plain = join(dir, `${hostname}.ci`);
  writeFileSync(plain, bundle.conveyedInformation);
  const enc = execFileSync('openssl', [
    'cms',
    '-encrypt',
    '-binary',
    '-aes256',
    '-outform',
    'DER',
    '-in',
    plain,
    '-recip',
    recipient,
    ...keyopts,
  ]);
  return { ...bundle, conveyedInformation: enc };
}

/** `verify` arguments naming the IDevID key `key` on the PKCS#11 token `token`. */
export const tokenKeyArgs = (key: TokenKey, token: PinToken): string[] => [
  '--idevid-key',
  key.uri,
  '--pkcs11-module',
  token.module,
  '--pkcs11-pin-file',
  token.pinFile,
];

/** argv of `sztp-agent verify --json` for `bundle` with the IDevID certificate `idevidCert` and the key given by `keyArgs`. */
export function verifyArgs(
  pki: TestPki,
  dir: string,
  name: string,
  bundle: Bundle,
  serial: string,
  idevidCert: string,
  keyArgs: readonly string[],
): string[] {
  const files = { ci: join(dir, `${name}.cms`), oc: join(dir, `${name}.oc`), ov: join(dir, `${name}.ov`) };
  writeFileSync(files.ci, bundle.conveyedInformation);
  writeFileSync(files.oc, bundle.ownerCertificate);
  writeFileSync(files.ov, bundle.ownershipVoucher);
  return [
    'verify',
    '--json',
    '--conveyed-info',
    files.ci,
    '--owner-cert',
    files.oc,
    '--voucher',
    files.ov,
    '--trust-anchors',
    pki.masaCa.cert,
    '--serial',
    serial,
    '--idevid-cert',
    idevidCert,
    ...keyArgs,
  ];
}

/** The mutual-TLS test bootstrap server of the test PKI (client certificates from the manufacturer CA). */
export const startMtlsServer = (pki: TestPki): ReturnType<typeof startBootstrapServer> =>
  startBootstrapServer({
    cert: readFileSync(pki.server.cert),
    key: readFileSync(pki.server.key),
    clientCa: readFileSync(pki.manufacturer.cert),
  });

/**
 * ztp.ini of an agent in `<dir>/<name>` with `[Device]` `device`, the Server fetcher only,
 * `[Bootstrap]` `bootstrap`, and any `extra` sections (e.g. `[Startup]`).
 */
export function writeTokenIni(
  pki: TestPki,
  dir: string,
  name: string,
  device: Record<string, string>,
  bootstrap: Record<string, string>,
  extra: Record<string, Record<string, string>> = {},
): { box: string; ini: string } {
  const box = join(dir, name);
  mkdirSync(box, { recursive: true });
  const ini = join(box, 'ztp.ini');
  writeFileSync(
    ini,
    ztpIni(pki, join(box, 'state'), {
      ...extra,
      Device: device,
      'Fetcher Priority': { Server: '0' },
      Bootstrap: { nonce: 'False', ...bootstrap },
      Router: simulatedRouter(join(box, 'router')),
    }),
  );
  return { box, ini };
}

/** `run --once` with a wrong PIN, then with a missing object: each exits 2 with its code; the server sees no request. */
export async function assertStartupRefusals(pki: TestPki, dir: string, token: PinToken): Promise<void> {
  const server = await startMtlsServer(pki);
  try {
    for (const [name, device, code] of [
      ['wrong-pin', { idevid_key: token.ec.uri, pkcs11_pin_file: token.wrongPinFile }, 'SZTP_ERR_DEVICE_KEY_PIN'],
      [
        'no-object',
        { idevid_key: 'pkcs11:token=idevid;object=no-such-key;type=private', pkcs11_pin_file: token.pinFile },
        'SZTP_ERR_DEVICE_KEY_NOT_FOUND',
      ],
    ] as const) {
      const { ini } = writeTokenIni(
        pki,
        dir,
        name,
        { idevid_cert: token.ec.cert, pkcs11_module: token.module, ...device },
        { servers: server.url },
      );
      const r = await cli(['--config', ini, 'run', '--once']);
      assert.equal(r.code, 2, `${name}: ${r.stderr.slice(-2000)}`);
      assert.match(r.stderr, new RegExp(code), name);
      assert.doesNotMatch(r.stderr, /1234|9999/, 'no PIN in the output');
    }
    assert.equal(server.requests.length, 0, 'no server was contacted');
  } finally {
    await server.close();
  }
}

/** The token key signs an RFC 9646 CSR (through the DeviceKey port) that `openssl req -verify` accepts, with the certificate's subject serialNumber. */
export async function assertTokenSignsCsr(key: DeviceKey, certPem: string, dir: string, serial: string): Promise<void> {
  const cert = certDer(certPem);
  const spki = execFileSync('openssl', ['x509', '-in', certPem, '-pubkey', '-noout'])
    .toString()
    .replace(/-----[^-]+-----|\s/g, '');
  const csr = await signCsr({}, cert, { key, spki: Buffer.from(spki, 'base64') });
  const file = join(dir, `${key.kind}-${key.type}.csr`);
  writeFileSync(file, csr);
  const out = execFileSync('openssl', ['req', '-inform', 'DER', '-in', file, '-verify', '-noout', '-subject'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
  assert.match(out, new RegExp(`serialNumber ?= ?${serial}`));
}
