/**
 * Reads the trust-pipeline fixtures made by fixtures/generate.sh: the manifest, the artifacts of
 * one variant and the TrustContext its expectations assume. For tests, bench and scripts only.
 * @module
 */
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../src/errors.ts';
import type { BootstrappingArtifacts, TrustContext } from '../../src/types.ts';
import { validateBootstrappingData } from '../../src/validation/pipeline.ts';

export const FIXTURES_DIR = join(import.meta.dirname, '..', '..', 'fixtures');

export interface ManifestEntry {
  readonly kind: 'rsa' | 'p256' | 'p384';
  readonly variant: string;
  readonly dir: string;
  readonly expect: 'valid' | 'invalid';
  readonly step?: 'voucher' | 'owner-certificate' | 'conveyed-information';
  readonly code?: string;
  readonly signed?: boolean;
  readonly ciKind?: 'onboarding-information' | 'redirect-information';
  readonly nonce?: string;
  readonly clockUntrusted?: boolean;
  readonly acceptedAssertions?: readonly string[];
  readonly needsDeviceKey?: boolean;
  /** PKI certificate names used as voucher trust anchors (default: masa-ca). */
  readonly voucherTrustAnchors?: readonly string[];
  /** PKI certificate names configured as `[Device] voucher_signers` (default: not set). */
  readonly voucherSigners?: readonly string[];
}

export interface Manifest {
  readonly serialNumber: string;
  readonly now: string;
  readonly variants: readonly ManifestEntry[];
}

export function loadManifest(root = FIXTURES_DIR): Manifest {
  return JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as Manifest;
}

export const pemCertDer = (path: string): Uint8Array => new Uint8Array(new X509Certificate(readFileSync(path)).raw);
export const pemKeyPkcs8 = (path: string): Uint8Array =>
  new Uint8Array(createPrivateKey(readFileSync(path)).export({ format: 'der', type: 'pkcs8' }));

/** File names inside a variant directory. */
export const ARTIFACT_FILES = {
  ci: 'conveyed-information.cms',
  oc: 'owner-certificate.cms',
  ov: 'ownership-voucher.vcj',
} as const;

export function artifactsFor(root: string, e: ManifestEntry): BootstrappingArtifacts {
  const d = join(root, e.dir);
  const read = (n: string): Uint8Array | undefined =>
    existsSync(join(d, n)) ? new Uint8Array(readFileSync(join(d, n))) : undefined;
  const ci = read(ARTIFACT_FILES.ci);
  if (ci === undefined) throw new Error(`fixture ${e.dir} lacks conveyed-information.cms`);
  const oc = read(ARTIFACT_FILES.oc);
  const ov = read(ARTIFACT_FILES.ov);
  return { conveyedInformation: ci, ...(oc ? { ownerCertificate: oc } : {}), ...(ov ? { ownershipVoucher: ov } : {}) };
}

/** The TrustContext the manifest's expectation for `e` assumes (device key always supplied). */
export function contextFor(root: string, m: Manifest, e: ManifestEntry): TrustContext {
  const pki = join(root, e.kind, 'pki');
  return {
    voucherTrustAnchors: (e.voucherTrustAnchors ?? ['masa-ca']).map((n) => pemCertDer(join(pki, `${n}.crt`))),
    ...(e.voucherSigners === undefined
      ? {}
      : {
          voucherSigners: { certificates: e.voucherSigners.map((n) => pemCertDer(join(pki, `${n}.crt`))), keyIds: [] },
        }),
    serialNumber: m.serialNumber,
    device: {
      certificate: pemCertDer(join(pki, 'idevid.crt')),
      chain: [],
      privateKeyPkcs8: pemKeyPkcs8(join(pki, 'idevid.key')),
    },
    ...(e.nonce === undefined ? {} : { nonce: new Uint8Array(Buffer.from(e.nonce, 'base64')) }),
    now: new Date(m.now),
    policy: { acceptedAssertions: e.acceptedAssertions ?? ['verified'], clockTrusted: e.clockUntrusted !== true },
  };
}

/** Runs one manifest entry through the pipeline and asserts the expected result, step and code. */
export async function checkEntry(root: string, m: Manifest, e: ManifestEntry): Promise<void> {
  const run = validateBootstrappingData(artifactsFor(root, e), contextFor(root, m, e));
  if (e.expect === 'valid') {
    const r = await run;
    assert.equal(r.signed, e.signed ?? true, 'signed');
    if (e.ciKind) assert.equal(r.kind, e.ciKind);
    if (r.signed) assert.ok(r.ownerCertificate instanceof Uint8Array);
  } else {
    await assert.rejects(run, (err: unknown) => {
      assert.ok(err instanceof ValidationError, `not a ValidationError: ${String(err)}`);
      assert.equal(err.code, e.code);
      assert.equal(err.step, e.step);
      return true;
    });
  }
}
