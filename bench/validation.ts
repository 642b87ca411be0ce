/**
 * Benchmark of the trust pipeline on a full signed bundle (voucher + owner certificate + conveyed
 * information, fixtures/<kind>/valid) for RSA-2048, P-256 and P-384:
 *   1. validateBootstrappingData in process (the fast path, src/validation/fast/, for these bundles);
 *   1b. the same on the pkijs path (a check log keeps it off the fast path): the figure before issue 15;
 *   2. only the raw signature verifications the bundle contains (crypto.verify on the same five
 *      signatures: voucher CMS, MASA cert, owner intermediate, owner EE, conveyed-information CMS),
 *      interleaved with 1 and 1b iteration by iteration (each ratio is against its own raw figure);
 *   3. `openssl cms -verify` on the same files (voucher + conveyed information, two processes).
 * Prints median times per bundle (in process) or mean times (openssl) and their ratios. Run: node --import tsx bench/validation.ts [iterations]
 * @module
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { validateBootstrappingData } from '../src/validation/pipeline.ts';
import { CheckLog } from '../src/validation/trace.ts';
import { FIXTURES_DIR, artifactsFor, contextFor, loadManifest } from '../test/support/fixtures.ts';

const N = Number(process.argv[2] ?? 300);
const OPENSSL_N = Math.max(5, Math.floor(N / 15));
const manifest = loadManifest();
const tmp = mkdtempSync(join(tmpdir(), 'sztp-bench-'));

interface RawSig {
  data: Uint8Array;
  sig: Uint8Array;
  key: X509Certificate['publicKey'];
  hash: string;
}

function certSig(certPem: string, issuerPem: string, hash: string): RawSig {
  const c = pkijs.Certificate.fromBER(new X509Certificate(readFileSync(certPem)).raw);
  return {
    data: c.tbsView,
    sig: c.signatureValue.valueBlock.valueHexView,
    key: new X509Certificate(readFileSync(issuerPem)).publicKey,
    hash,
  };
}

function cmsSig(file: string, signerPem: string, hash: string): RawSig {
  const ci = pkijs.ContentInfo.fromBER(readFileSync(file));
  const si = new pkijs.SignedData({ schema: ci.content }).signerInfos[0];
  if (si?.signedAttrs === undefined) throw new Error('bench: expected signed attributes');
  return {
    data: new Uint8Array(si.signedAttrs.encodedValue),
    sig: si.signature.valueBlock.valueHexView,
    key: new X509Certificate(readFileSync(signerPem)).publicKey,
    hash,
  };
}

function mean(fn: () => void, n: number): number {
  for (let i = 0; i < Math.min(10, n); i++) fn();
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t) / n;
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;

/**
 * Median times of `a` (async) and `b`, interleaved iteration by iteration so that both see the
 * same load on a shared machine (run one after the other, a busy second skews the ratio
 * several-fold), and medians so that an iteration preempted by another process does not count.
 */
async function interleaved(a: () => Promise<unknown>, b: () => void, n: number): Promise<[number, number]> {
  for (let i = 0; i < Math.min(10, n); i++) {
    await a();
    b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await a();
    const t1 = performance.now();
    b();
    tb.push(performance.now() - t1);
    ta.push(t1 - t0);
  }
  return [median(ta), median(tb)];
}

console.log(`trust-pipeline bench: ${N} iterations in process, ${OPENSSL_N} openssl runs (ms per full bundle)`);
console.log('kind   pipeline  pkijs-path  raw-verify  openssl-cms  pipeline/raw  pkijs-path/raw  openssl/pipeline');
try {
  for (const kind of ['rsa', 'p256', 'p384'] as const) {
    const e = manifest.variants.find((v) => v.kind === kind && v.variant === 'valid');
    if (e === undefined) throw new Error(`no fixture ${kind}/valid`);
    const dir = join(FIXTURES_DIR, e.dir);
    const pki = join(FIXTURES_DIR, kind, 'pki');
    const artifacts = artifactsFor(FIXTURES_DIR, e);
    const ctx = contextFor(FIXTURES_DIR, manifest, e);
    const hash = kind === 'p384' ? 'sha384' : 'sha256';
    const sigs = [
      cmsSig(join(dir, 'ownership-voucher.vcj'), join(pki, 'masa.crt'), hash),
      certSig(join(pki, 'masa.crt'), join(pki, 'masa-ca.crt'), hash),
      certSig(join(pki, 'owner-int.crt'), join(pki, 'owner-root.crt'), hash),
      certSig(join(pki, 'owner.crt'), join(pki, 'owner-int.crt'), hash),
      cmsSig(join(dir, 'conveyed-information.cms'), join(pki, 'owner.crt'), hash),
    ];
    const rawOnce = (): void => {
      for (const s of sigs)
        if (!verify(s.hash, s.data, { key: s.key, dsaEncoding: 'der' }, s.sig))
          throw new Error('bench: raw verify failed');
    };
    const [pipeline, raw] = await interleaved(() => validateBootstrappingData(artifacts, ctx), rawOnce, N);
    const [pkijsPath, rawB] = await interleaved(
      () => validateBootstrappingData(artifacts, ctx, { log: new CheckLog() }),
      rawOnce,
      Math.max(10, Math.floor(N / 5)),
    );
    const ca = join(tmp, `${kind}-owner-ca.pem`);
    writeFileSync(
      ca,
      Buffer.concat([readFileSync(join(pki, 'owner-root.crt')), readFileSync(join(pki, 'owner-int.crt'))]),
    );
    const openssl = mean(() => {
      execFileSync(
        'openssl',
        [
          'cms',
          '-verify',
          '-inform',
          'DER',
          '-in',
          join(dir, 'ownership-voucher.vcj'),
          '-CAfile',
          join(pki, 'masa-ca.crt'),
          '-binary',
          '-purpose',
          'any',
          '-out',
          '/dev/null',
        ],
        { stdio: 'ignore' },
      );
      execFileSync(
        'openssl',
        [
          'cms',
          '-verify',
          '-inform',
          'DER',
          '-in',
          join(dir, 'conveyed-information.cms'),
          '-CAfile',
          ca,
          '-certfile',
          join(pki, 'owner.crt'),
          '-binary',
          '-purpose',
          'any',
          '-out',
          '/dev/null',
        ],
        { stdio: 'ignore' },
      );
    }, OPENSSL_N);
    console.log(
      `${kind.padEnd(6)} ${pipeline.toFixed(2).padStart(8)}  ${pkijsPath.toFixed(2).padStart(10)}  ${raw.toFixed(2).padStart(10)}  ${openssl.toFixed(2).padStart(11)}  ${(pipeline / raw).toFixed(2).padStart(12)}  ${(pkijsPath / rawB).toFixed(2).padStart(14)}  ${(openssl / pipeline).toFixed(2).padStart(16)}`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
