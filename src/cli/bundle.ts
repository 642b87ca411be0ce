/**
 * `sztp-agent bundle`: the operator's artifact builder (src/bundle). Signs onboarding content with
 * the owner key, writes conveyed-information.cms, owner-certificate.cms and a copy of the voucher
 * in the EN9 removable-storage layout, optionally encrypting the conveyed information to a device
 * certificate; `--dns-zone` also prints the artifacts as a DNS TXT record. RFC 8572 §3, §4.1, §4.2.2. Exit codes: 0 written, 1 failed, 2 usage error.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import { SztpError, isSztpError, isUsageError } from '../errors.ts';
import type { BuildInput } from '../bundle/build.ts';
import type { BundleLayout } from '../bundle/layout.ts';
import type { OnboardingInput } from '../bundle/onboarding.ts';
import { hashFile } from '../lib/hash.ts';
import { certificatesFromPemOrDer } from '../lib/pem.ts';
import { commandOutput } from './context.ts';
import { messageOf } from '../lib/error-info.ts';

export interface BundleOptions {
  readonly ownerKey?: string;
  readonly ownerCert?: string;
  readonly ownerChain?: string;
  readonly voucher?: string;
  /** The configuration file (`--configuration`; `--config` is the program's global ztp.ini option). */
  readonly configuration?: string;
  readonly configurationHandling?: 'merge' | 'replace';
  readonly preScript?: string;
  readonly postScript?: string;
  readonly bootImage?: string;
  readonly bootImageSha256?: string;
  readonly osName?: string;
  readonly osVersion?: string;
  readonly downloadUri?: readonly string[];
  readonly document?: string;
  readonly encryptTo?: string;
  readonly layout?: BundleLayout;
  readonly serial?: string;
  readonly out?: string;
  /** Also print the device-specific DNS TXT record under this domain (RFC 8572 §4.2.2); needs --serial. */
  readonly dnsZone?: string;
}

export interface BundleIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

async function read(path: string, flag: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new SztpError('SZTP_ERR_USAGE', `${flag}: cannot read ${path}: ${messageOf(err)}`);
  }
}

async function content(o: BundleOptions): Promise<BuildInput['content']> {
  if (o.document !== undefined) {
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(await read(o.document, '--document')).toString('utf8'));
    } catch (err) {
      if (isUsageError(err)) throw err;
      throw new SztpError('SZTP_ERR_USAGE', '--document: not valid JSON');
    }
    const { decodeConveyedInformation } = await import('../validation/decode-conveyed-info.ts');
    decodeConveyedInformation(doc); // refuse to sign something a device would reject
    return { document: doc };
  }
  let sha256: Uint8Array | undefined;
  if (o.bootImage !== undefined) {
    try {
      sha256 = new Uint8Array(await hashFile(o.bootImage));
    } catch {
      throw new SztpError('SZTP_ERR_USAGE', `--boot-image: cannot read ${o.bootImage}`);
    }
  } else if (o.bootImageSha256 !== undefined) {
    if (!/^([0-9a-fA-F]{2}:?){32}$/.test(o.bootImageSha256) || o.bootImageSha256.replace(/:/g, '').length !== 64)
      throw new SztpError('SZTP_ERR_USAGE', '--boot-image-sha256 must be 32 bytes of hex');
    sha256 = new Uint8Array(Buffer.from(o.bootImageSha256.replace(/:/g, ''), 'hex'));
  }
  const uris = o.downloadUri ?? [];
  if (sha256 !== undefined && uris.length === 0)
    throw new SztpError('SZTP_ERR_USAGE', 'a boot image needs at least one --download-uri');
  const hasImage = sha256 !== undefined || o.osName !== undefined || o.osVersion !== undefined || uris.length > 0;
  const input: OnboardingInput = {
    ...(o.configuration === undefined
      ? {}
      : {
          configuration: await read(o.configuration, '--configuration'),
          configurationHandling: o.configurationHandling ?? 'merge',
        }),
    ...(o.preScript === undefined ? {} : { preConfigurationScript: await read(o.preScript, '--pre-script') }),
    ...(o.postScript === undefined ? {} : { postConfigurationScript: await read(o.postScript, '--post-script') }),
    ...(hasImage
      ? {
          bootImage: {
            downloadUris: uris,
            ...(o.osName === undefined ? {} : { osName: o.osName }),
            ...(o.osVersion === undefined ? {} : { osVersion: o.osVersion }),
            ...(sha256 === undefined ? {} : { sha256 }),
          },
        }
      : {}),
  };
  if (o.configurationHandling !== undefined && o.configuration === undefined)
    throw new SztpError('SZTP_ERR_USAGE', '--configuration-handling needs --configuration');
  return input;
}

/** Runs `bundle` with parsed options; returns the exit code (0 written, 1 failed, 2 usage). */
export async function runBundle(o: BundleOptions, io: BundleIo): Promise<number> {
  try {
    if (o.ownerKey === undefined || o.ownerCert === undefined || o.voucher === undefined || o.out === undefined) {
      throw new SztpError('SZTP_ERR_USAGE', '--owner-key, --owner-cert, --voucher and --out are required');
    }
    const layout = o.layout ?? 'single';
    if (layout === 'multi' && o.serial === undefined)
      throw new SztpError('SZTP_ERR_USAGE', '--layout multi needs --serial');
    if (o.dnsZone !== undefined && o.serial === undefined)
      throw new SztpError('SZTP_ERR_USAGE', '--dns-zone needs --serial');
    // Signing code (pkijs) loads only when `bundle` runs.
    const { buildArtifacts, privateKeyFromFile } = await import('../bundle/build.ts');
    const { writeBundle } = await import('../bundle/layout.ts');
    const ownerKey = privateKeyFromFile(await read(o.ownerKey, '--owner-key'));
    const chain = [
      ...certificatesFromPemOrDer(await read(o.ownerCert, '--owner-cert')),
      ...(o.ownerChain === undefined ? [] : certificatesFromPemOrDer(await read(o.ownerChain, '--owner-chain'))),
    ];
    const encryptTo =
      o.encryptTo === undefined ? undefined : certificatesFromPemOrDer(await read(o.encryptTo, '--encrypt-to'))[0];
    const artifacts = await buildArtifacts({
      ownerKey,
      ownerChain: chain,
      voucher: await read(o.voucher, '--voucher'),
      content: await content(o),
      ...(encryptTo === undefined ? {} : { encryptTo }),
    });
    const written = await writeBundle(o.out, layout, artifacts, o.serial);
    io.stdout(written.map((p) => `wrote ${p}\n`).join(''));
    if (o.dnsZone !== undefined && o.serial !== undefined) {
      const { dnsZoneLines } = await import('../bundle/dns-zone.ts');
      io.stdout(dnsZoneLines(o.serial, o.dnsZone, artifacts));
    }
    return 0;
  } catch (err) {
    if (isUsageError(err)) {
      io.stderr(`error SZTP_ERR_USAGE: ${err.message}\n`);
      return 2;
    }
    const code = isSztpError(err) ? err.code : 'SZTP_ERR_CMS_DECODE';
    io.stderr(`error ${code}: ${messageOf(err)}\n`);
    return 1;
  }
}

/** The `sztp-agent bundle` command, added to the program by src/cli/program.ts. */
export function bundleCommand(): Command {
  const cmd = new Command('bundle')
    .description('build signed bootstrapping artifacts (EN9 layout) for removable storage or a bootstrap server')
    .option('--owner-key <file>', 'owner private key, PEM (required)')
    .option('--owner-cert <file>', 'owner certificate, PEM; may hold the chain after it (required)')
    .option('--owner-chain <file>', 'further chain certificates up to the pinned-domain-cert, PEM')
    .option('--voucher <file>', 'ownership voucher (.vcj), copied byte for byte (required)')
    .option('--configuration <file>', 'configuration to commit (the global --config names ztp.ini)')
    .addOption(
      new Option('--configuration-handling <mode>', 'merge or replace (default merge)').choices(['merge', 'replace']),
    )
    .option('--pre-script <file>', 'pre-configuration script')
    .option('--post-script <file>', 'post-configuration script')
    .option('--boot-image <file>', 'boot image file (its SHA-256 goes into image-verification)')
    .option('--boot-image-sha256 <hex>', 'the boot image SHA-256 when the file is not at hand')
    .option('--os-name <name>', 'boot-image os-name')
    .option('--os-version <version>', 'boot-image os-version')
    .option(
      '--download-uri <uri>',
      'boot-image download-uri (repeat for mirrors)',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--document <file>', 'sign this ready RFC 8572 §6 JSON document instead (e.g. redirect-information)')
    .option('--encrypt-to <pemfile>', 'encrypt the conveyed information to this device certificate')
    .addOption(
      new Option('--layout <layout>', 'single: EN9/; multi: EN9/<serial>/bootstrapping-data/')
        .choices(['single', 'multi'])
        .default('single'),
    )
    .option('--serial <serial>', 'device serial number (multi layout)')
    .option('--out <dir>', 'output root, e.g. the USB stick mount point (required)')
    .option(
      '--dns-zone <domain>',
      'also print the DNS TXT record <serial>._sztp.<domain>. (zone file and dnsmasq; RFC 8572 §4.2.2); needs --serial',
    );
  cmd.action(async (options: BundleOptions, command: Command) => {
    const io: BundleIo = commandOutput(command);
    const code = await runBundle(options, io);
    if (code !== 0) throw new CommanderError(code, 'sztp.bundle.failed', 'bundle failed');
  });
  return cmd;
}
