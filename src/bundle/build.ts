/**
 * The artifact builder (library behind `sztp-agent bundle`): from an owner key and certificate
 * chain, a voucher file and onboarding content it produces signed conveyed information
 * (eContentType id-ct-sztpConveyedInfoJSON), the certs-only owner-certificate CMS and a byte-copy
 * of the voucher, optionally encrypting the conveyed information to a device certificate, and
 * writes them in the EN9 layout. RFC 8572 §3, §4.1.
 * @module
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SztpError } from '../errors.ts';
import { OID } from '../validation/oids.ts';
import { encryptToDevice } from './encrypt.ts';
import { writeBundle, type BundleArtifacts, type BundleLayout } from './layout.ts';
import { onboardingDocument, type OnboardingInput } from './onboarding.ts';
import { certsOnly, signContent } from './sign.ts';

export interface BuildInput {
  readonly ownerKey: KeyObject;
  /** Owner EE certificate first, then intermediates (optionally the pinned certificate), DER. */
  readonly ownerChain: readonly Uint8Array[];
  readonly voucher: Uint8Array;
  /** Onboarding content, or a ready RFC 8572 §6 JSON document (e.g. redirect information). */
  readonly content: OnboardingInput | { readonly document: unknown };
  /** DER of a device certificate to encrypt the conveyed information to. */
  readonly encryptTo?: Uint8Array;
}

/** Builds the three artifacts in memory. */
export async function buildArtifacts(input: BuildInput): Promise<BundleArtifacts> {
  const [ee, ...chain] = input.ownerChain;
  if (ee === undefined) throw new SztpError('SZTP_ERR_USAGE', 'bundle: the owner certificate chain is empty');
  const ownerCert = new X509Certificate(ee);
  if (!ownerCert.checkPrivateKey(input.ownerKey)) throw new SztpError('SZTP_ERR_USAGE', 'bundle: the owner key does not match the first certificate of the owner chain');
  const doc = 'document' in input.content ? input.content.document : onboardingDocument(input.content);
  const json = new TextEncoder().encode(JSON.stringify(doc, null, 2) + '\n');
  let ci = signContent(json, OID.conveyedJson, { certificate: ee, chain, privateKey: input.ownerKey });
  if (input.encryptTo !== undefined) ci = await encryptToDevice(ci, input.encryptTo);
  return { conveyedInformation: ci, ownerCertificate: certsOnly([ee, ...chain]), ownershipVoucher: input.voucher };
}

/** Reads every PEM CERTIFICATE block of a file as DER (a DER file counts as one certificate). */
export async function readCertificateFile(path: string): Promise<Uint8Array[]> {
  const bytes = await readFile(path);
  const text = bytes.toString('latin1');
  const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => new Uint8Array(Buffer.from(m[1] ?? '', 'base64')));
  return blocks.length > 0 ? blocks : [new Uint8Array(bytes)];
}

export async function readPrivateKey(path: string): Promise<KeyObject> {
  const bytes = await readFile(path);
  return bytes.toString('latin1').includes('-----BEGIN') ? createPrivateKey(bytes) : createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
}

/** Builds and writes a bundle; returns the written paths. */
export async function buildBundle(input: BuildInput, out: { readonly root: string; readonly layout: BundleLayout; readonly serial?: string }): Promise<string[]> {
  return writeBundle(out.root, out.layout, await buildArtifacts(input), out.serial);
}
