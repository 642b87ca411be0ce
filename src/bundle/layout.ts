/**
 * Removable-storage layout (RFC 8572 §4.1; the project's EN9 convention, as Cisco's sztp-usb-loader
 * writes it): `EN9/` for one device, or `EN9/<serial>/bootstrapping-data/` for several devices on
 * one stick. File names: conveyed-information.cms, owner-certificate.cms, ownership-voucher.vcj.
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SztpError } from '../errors.ts';

export type BundleLayout = 'single' | 'multi';

export const BUNDLE_FILES = {
  conveyedInformation: 'conveyed-information.cms',
  ownerCertificate: 'owner-certificate.cms',
  ownershipVoucher: 'ownership-voucher.vcj',
} as const;

export interface BundleArtifacts {
  readonly conveyedInformation: Uint8Array;
  readonly ownerCertificate: Uint8Array;
  readonly ownershipVoucher: Uint8Array;
}

/** The directory the artifacts go to under `root`. */
export function bundleDir(root: string, layout: BundleLayout, serial?: string): string {
  if (layout === 'single') return join(root, 'EN9');
  if (serial === undefined || !/^[A-Za-z0-9._-]{1,64}$/.test(serial)) {
    throw new SztpError('SZTP_ERR_USAGE', 'the multi layout needs --serial (letters, digits, ".", "_", "-")');
  }
  return join(root, 'EN9', serial, 'bootstrapping-data');
}

/** Writes the three artifacts; returns the paths written. */
export async function writeBundle(
  root: string,
  layout: BundleLayout,
  artifacts: BundleArtifacts,
  serial?: string,
): Promise<string[]> {
  const dir = bundleDir(root, layout, serial);
  await mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (const [k, name] of Object.entries(BUNDLE_FILES) as [keyof BundleArtifacts, string][]) {
    const p = join(dir, name);
    await writeFile(p, artifacts[k]);
    out.push(p);
  }
  return out;
}
