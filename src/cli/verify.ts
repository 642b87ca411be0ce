/**
 * `sztp-agent verify`: offline validation of bootstrapping artifacts (a USB stick's EN9 files or
 * a captured server reply) with the trust pipeline of src/validation (RFC 8572 §5.4). Exit codes:
 * 0 valid, 1 invalid, 2 usage error. `--json` prints one JSON object; otherwise every check is
 * explained (passed / failed / skipped and why).
 * @module
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { DeviceKey } from '../contracts/device-key.ts';
import { SztpError, ValidationError, isSztpError, isUsageError } from '../errors.ts';
import { fileDeviceKey } from '../platform/device-key-file.ts';
import { isHardwareRef, keyRefOf, keyRefProblem } from '../platform/device-key-ref.ts';
import type { BootstrappingArtifacts, TrustContext, ValidatedConveyedInformation } from '../types.ts';
import { decodeBase64 } from '../lib/base64.ts';
import { certificatesFromPemOrDer, isPem } from '../lib/pem.ts';
import { commandOutput } from './context.ts';
import { messageOf } from '../lib/error-info.ts';

/** Options of `verify` as commander delivers them. */
export interface VerifyOptions {
  readonly conveyedInfo?: string;
  readonly ownerCert?: string;
  readonly voucher?: string;
  readonly trustAnchors?: string;
  readonly serial?: string;
  readonly nonce?: string;
  readonly now?: string;
  readonly clockUntrusted?: boolean;
  readonly idevidCert?: string;
  readonly idevidKey?: string;
  readonly pkcs11Module?: string;
  readonly pkcs11PinFile?: string;
  readonly pkcs11Engine?: string;
  readonly tpm2Tcti?: string;
  readonly trustedSource?: boolean;
  readonly json?: boolean;
}

export interface VerifyIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Defaults to fs.readFileSync. */
  readFile?(path: string): Uint8Array;
  /** Defaults to the system clock. */
  clock?(): Date;
}

export const VERIFY_EXIT = { valid: 0, invalid: 1, usage: 2 } as const;

/** Splits a PEM file into the DER of every CERTIFICATE block (a DER file is accepted as one certificate). */
export function readCertificates(bytes: Uint8Array, what: string): Uint8Array[] {
  const ders = certificatesFromPemOrDer(bytes);
  for (const der of ders) {
    try {
      new X509Certificate(der);
    } catch {
      throw new SztpError('SZTP_ERR_USAGE', `${what}: not a PEM/DER certificate file`);
    }
  }
  if (ders.length === 0) throw new SztpError('SZTP_ERR_USAGE', `${what}: no certificate found`);
  return ders;
}

function buildInputs(o: VerifyOptions, io: VerifyIo): { artifacts: BootstrappingArtifacts; ctx: TrustContext } {
  const read = (path: string, what: string): Uint8Array => {
    try {
      return io.readFile ? io.readFile(path) : new Uint8Array(readFileSync(path));
    } catch (err) {
      throw new SztpError('SZTP_ERR_USAGE', `${what}: cannot read ${path}: ${messageOf(err)}`);
    }
  };
  if (o.conveyedInfo === undefined) throw new SztpError('SZTP_ERR_USAGE', '--conveyed-info FILE is required');
  if (o.trustAnchors === undefined) throw new SztpError('SZTP_ERR_USAGE', '--trust-anchors PEMFILE is required');
  if (o.serial === undefined || o.serial === '') throw new SztpError('SZTP_ERR_USAGE', '--serial SERIAL is required');
  if (o.idevidKey !== undefined && o.idevidCert === undefined)
    throw new SztpError('SZTP_ERR_USAGE', '--idevid-key needs --idevid-cert');
  let nonce: Uint8Array | undefined;
  if (o.nonce !== undefined) {
    nonce = decodeBase64(o.nonce);
    if (nonce === undefined) throw new SztpError('SZTP_ERR_USAGE', '--nonce must be base64');
  }
  let now = io.clock ? io.clock() : new Date();
  if (o.now !== undefined) {
    const t = Date.parse(o.now);
    if (!/^\d{4}-\d{2}-\d{2}/.test(o.now) || Number.isNaN(t))
      throw new SztpError('SZTP_ERR_USAGE', '--now must be an ISO 8601 date-time');
    now = new Date(t);
  }
  let device: TrustContext['device'];
  if (o.idevidCert !== undefined) {
    const [certificate, ...chain] = readCertificates(read(o.idevidCert, '--idevid-cert'), '--idevid-cert');
    let key: DeviceKey | undefined;
    if (o.idevidKey !== undefined && !isHardwareRef(o.idevidKey)) {
      const keyBytes = read(o.idevidKey, '--idevid-key');
      try {
        const pem = isPem(keyBytes)
          ? createPrivateKey(Buffer.from(keyBytes))
          : createPrivateKey({ key: Buffer.from(keyBytes), format: 'der', type: 'pkcs8' });
        key = fileDeviceKey(new Uint8Array(pem.export({ format: 'der', type: 'pkcs8' })));
      } catch {
        throw new SztpError('SZTP_ERR_USAGE', '--idevid-key: not a readable (unencrypted) private key');
      }
    }
    if (certificate === undefined) throw new SztpError('SZTP_ERR_USAGE', '--idevid-cert: no certificate');
    device = { certificate, chain, ...(key === undefined ? {} : { key }) };
  }
  const artifacts: BootstrappingArtifacts = {
    conveyedInformation: read(o.conveyedInfo, '--conveyed-info'),
    ...(o.ownerCert === undefined ? {} : { ownerCertificate: read(o.ownerCert, '--owner-cert') }),
    ...(o.voucher === undefined ? {} : { ownershipVoucher: read(o.voucher, '--voucher') }),
  };
  const ctx: TrustContext = {
    voucherTrustAnchors: readCertificates(read(o.trustAnchors, '--trust-anchors'), '--trust-anchors'),
    serialNumber: o.serial,
    ...(device === undefined ? {} : { device }),
    ...(nonce === undefined ? {} : { nonce }),
    now,
    policy: { acceptedAssertions: ['verified'], clockTrusted: o.clockUntrusted !== true },
  };
  return { artifacts, ctx };
}

/** The hardware IDevID key of `--idevid-key pkcs11:…|tpm2:…`, opened and proved against the certificate. */
async function openVerifyKey(o: VerifyOptions, value: string, certificate: Uint8Array): Promise<DeviceKey> {
  const problem = keyRefProblem(value);
  const ref = keyRefOf(value);
  if (problem !== undefined || ref.kind === 'file')
    throw new SztpError('SZTP_ERR_USAGE', `--idevid-key: ${problem ?? 'not a key reference'}`);
  const { DEFAULT_HARDWARE, openHardwareKey } = await import('../platform/device-key-hardware.ts');
  return openHardwareKey(ref, certificate, {
    ...DEFAULT_HARDWARE,
    ...(o.pkcs11Module === undefined ? {} : { pkcs11Module: o.pkcs11Module }),
    ...(o.pkcs11PinFile === undefined ? {} : { pkcs11PinFile: o.pkcs11PinFile }),
    ...(o.pkcs11Engine === undefined ? {} : { pkcs11Engine: o.pkcs11Engine }),
    ...(o.tpm2Tcti === undefined ? {} : { tpm2Tcti: o.tpm2Tcti }),
  });
}

/** Runs `verify` with parsed options; returns the exit code (0 valid, 1 invalid, 2 usage). */
export async function runVerify(o: VerifyOptions, io: VerifyIo): Promise<number> {
  let inputs: ReturnType<typeof buildInputs>;
  try {
    inputs = buildInputs(o, io);
  } catch (err) {
    if (!isUsageError(err)) throw err;
    io.stderr(`error SZTP_ERR_USAGE: ${err.message}\n`);
    return VERIFY_EXIT.usage;
  }
  if (o.idevidKey !== undefined && isHardwareRef(o.idevidKey) && inputs.ctx.device !== undefined) {
    try {
      inputs = {
        ...inputs,
        ctx: {
          ...inputs.ctx,
          device: { ...inputs.ctx.device, key: await openVerifyKey(o, o.idevidKey, inputs.ctx.device.certificate) },
        },
      };
    } catch (err) {
      if (!isSztpError(err)) throw err;
      io.stderr(`error ${err.code}: ${err.message}\n`);
      return VERIFY_EXIT.usage;
    }
  }
  // The trust pipeline (pkijs, asn1js) loads only when there is something to validate.
  const [{ CheckLog, validateBootstrappingData }, { explainChecks, explainVerdict }] = await Promise.all([
    import('../validation/index.ts'),
    import('../validation/explain.ts'),
  ]);
  const log = new CheckLog();
  let result: ValidatedConveyedInformation;
  try {
    // The library entry point (`sztp-agent/validation`), the same function the daemon uses.
    result = await validateBootstrappingData(inputs.artifacts, inputs.ctx, { log });
    if (!result.signed && o.trustedSource !== true) {
      const msg =
        'unsigned conveyed information is accepted only from a trusted source (use --trusted-source if it came from one)';
      log.fail('conveyed-information', 'trust', msg);
      throw new ValidationError('conveyed-information', 'SZTP_ERR_CONVEYED_UNSIGNED', msg);
    }
    if (!result.signed)
      log.pass('conveyed-information', 'trust', 'unsigned, accepted because --trusted-source was given');
  } catch (err) {
    const e =
      isSztpError(err) && err instanceof ValidationError
        ? err
        : new ValidationError(
            'conveyed-information',
            isSztpError(err) ? err.code : 'SZTP_ERR_CMS_DECODE',
            messageOf(err),
          );
    if (o.json === true)
      io.stdout(JSON.stringify({ valid: false, step: e.step, code: e.code, message: e.message }) + '\n');
    else io.stdout(explainChecks(log.records) + explainVerdict(false, `step ${e.step}: ${e.code}: ${e.message}`));
    return VERIFY_EXIT.invalid;
  }
  if (o.json === true) {
    io.stdout(
      JSON.stringify({ valid: true, signed: result.signed, kind: result.kind, conveyedInformation: result.json }) +
        '\n',
    );
  } else {
    io.stdout(
      explainChecks(log.records) +
        explainVerdict(true, `${result.signed ? 'signed' : 'unsigned'} ${result.kind}, sha-256 ${result.digest}`),
    );
  }
  return VERIFY_EXIT.valid;
}

/** The `sztp-agent verify` command, added to the program by src/cli/program.ts. */
export function verifyCommand(): Command {
  const cmd = new Command('verify')
    .description(
      'validate bootstrapping artifacts offline (voucher → owner certificate → conveyed information, RFC 8572 §5.4)',
    )
    .option('--conveyed-info <file>', 'conveyed-information CMS (required)')
    .option('--owner-cert <file>', 'owner-certificate CMS (signed conveyed information)')
    .option('--voucher <file>', 'ownership voucher CMS (.vcj; signed conveyed information)')
    .option('--trust-anchors <pemfile>', 'manufacturer (voucher) trust anchors, PEM (required)')
    .option('--serial <serial>', 'the device serial number (required)')
    .option('--nonce <base64>', 'the nonce the device sent (absent: none was sent, e.g. USB)')
    .option('--now <iso8601>', 'the time to validate at (default: now)')
    .option('--clock-untrusted', 'skip validity-period checks (RFC 8572 §9.1)')
    .option('--idevid-cert <pemfile>', 'IDevID certificate (idevid-issuer check, decryption)')
    .option(
      '--idevid-key <key>',
      'IDevID private key (decrypts EnvelopedData): a PEM file, a pkcs11: URI or a tpm2:0x81… handle',
    )
    .option('--pkcs11-module <so>', 'PKCS#11 module of a pkcs11: --idevid-key')
    .option('--pkcs11-pin-file <file>', 'file holding the token PIN of a pkcs11: --idevid-key')
    .option('--pkcs11-engine <so>', 'OpenSSL PKCS#11 engine (default: the distribution path)')
    .option('--tpm2-tcti <tcti>', 'TCTI of the TPM of a tpm2: --idevid-key (default device:/dev/tpmrm0)')
    .option('--trusted-source', 'the data came from a trusted source: accept unsigned conveyed information')
    .option('--json', 'print one JSON object instead of the explanation');
  cmd.action(async (options: VerifyOptions, command: Command) => {
    const io: VerifyIo = commandOutput(command);
    const code = await runVerify(options, io);
    if (code !== 0)
      throw new CommanderError(
        code,
        code === VERIFY_EXIT.usage ? 'sztp.verify.usage' : 'sztp.verify.invalid',
        code === VERIFY_EXIT.usage ? 'usage error' : 'invalid',
      );
  });
  return cmd;
}
