/**
 * X.509 path validation (RFC 5280 §6) with pkijs's CertificateChainValidationEngine, wrapped for
 * RFC 8572 §5.4: the leaf (certificate under test) is always passed LAST in `certs` (pkijs
 * validates the last element and silently validates the wrong certificate otherwise), duplicates
 * are removed beforehand (pkijs's own de-duplication could drop the leaf), and the trust anchors
 * are the only `trustedCerts`. The engine checks signatures, name chaining, validity periods,
 * BasicConstraints cA and keyCertSign on every issuer, certificate policies and name constraints;
 * on top we check pathLenConstraint (the engine does not) and bound its path building (it loops
 * forever on mutually certifying CAs). Special cases pkijs cannot express:
 *  - the anchor IS the leaf (a pinned end-entity, RFC 8366 / RFC 8572 §3.3, compared by DER):
 *    accepted without the engine, after the leaf's own validity period;
 *  - untrusted clock (RFC 8572 §9.1): validity periods must not fail the path, and pkijs has no
 *    switch. The engine is given prototype views of the certificates whose notBefore/notAfter are
 *    widened to "always"; the signed TBS bytes the engine verifies are untouched, so every other
 *    check still runs on the real certificates. (A single checkDate inside every certificate's
 *    window is not enough: an end-entity that expired before its re-issued CA was made has no such
 *    instant.)
 * @module
 */
import * as pkijs from 'pkijs';
import { bytesEqual, decodeProblem } from '../asn1.ts';
import { algIdOf, signatureScheme } from '../cms/algorithms.ts';
import type { ParsedCert } from './certificate.ts';
import { messageOf } from '../../lib/error-info.ts';

export type PathFailure =
  | { readonly kind: 'no-path'; readonly message: string; readonly cert?: ParsedCert }
  | { readonly kind: 'validity'; readonly message: string; readonly cert?: ParsedCert }
  | { readonly kind: 'constraints'; readonly message: string; readonly cert?: ParsedCert }
  | { readonly kind: 'critical-extension'; readonly message: string; readonly cert?: ParsedCert };

export type PathResult =
  | {
      readonly ok: true;
      readonly path: readonly ParsedCert[];
      readonly anchor: ParsedCert;
      readonly anchorIsLeaf: boolean;
    }
  | { readonly ok: false; readonly failure: PathFailure };

export interface PathOptions {
  readonly now: Date;
  readonly checkValidity: boolean;
  /** Cap on the number of certificates handed to the engine, against hostile bags. */
  readonly maxDepth: number;
}

/** pkijs result codes that mean "an issuer is not allowed to issue" (checkForCA → 14). */
const CONSTRAINT_CODES = new Set([3, 4, 5, 7, 13, 14]);
/**
 * Budget of issuer look-ups per engine run. pkijs builds paths by unbounded recursion: a hostile
 * bag with two CA certificates that certify each other makes it loop forever (observed), so
 * every look-up beyond the budget aborts path building (→ no path).
 */
const MAX_ISSUER_LOOKUPS = 64;
const ALWAYS = { from: new Date(Date.UTC(1950, 0, 1)), to: new Date(Date.UTC(9999, 11, 31, 23, 59, 59)) };

function validityFailure(c: ParsedCert, now: Date): PathFailure | undefined {
  const t = now.getTime();
  if (!(t >= c.notBefore.getTime()))
    return {
      kind: 'validity',
      message: `certificate "${c.subject}" is not yet valid (notBefore ${c.notBefore.toISOString()})`,
      cert: c,
    };
  if (!(t <= c.notAfter.getTime()))
    return {
      kind: 'validity',
      message: `certificate "${c.subject}" has expired (notAfter ${c.notAfter.toISOString()})`,
      cert: c,
    };
  return undefined;
}

/** A view of `c.cert` for the engine: the same object, or one with a widened validity period. */
function engineView(c: ParsedCert, widen: boolean): pkijs.Certificate {
  if (!widen) return c.cert;
  const view = Object.create(c.cert) as pkijs.Certificate;
  view.notBefore = new pkijs.Time({ type: pkijs.TimeType.GeneralizedTime, value: ALWAYS.from });
  view.notAfter = new pkijs.Time({ type: pkijs.TimeType.GeneralizedTime, value: ALWAYS.to });
  return view;
}

/** pathLenConstraint (RFC 5280 §4.2.1.9) on a path [leaf, …, anchor]. */
function pathLenFailure(path: readonly ParsedCert[]): PathFailure | undefined {
  for (let i = 1; i < path.length; i++) {
    const ca = path[i];
    const pl = ca?.basicConstraints?.pathLen;
    const below = i - 1; // intermediate CAs between this issuer and the leaf
    if (ca !== undefined && pl !== undefined && below > pl)
      return { kind: 'constraints', message: `issuer "${ca.subject}" pathLenConstraint ${pl} exceeded`, cert: ca };
  }
  return undefined;
}

/**
 * Every certificate whose signature the path relies on (all but the anchor) must be signed with an
 * algorithm we accept for CMS too: pkijs's engine happily verifies SHA-1 (and anything WebCrypto
 * knows), which would let a chosen-prefix collision forge a link of the chain.
 */
function weakSignatureFailure(path: readonly ParsedCert[]): PathFailure | undefined {
  for (const c of path.slice(0, -1)) {
    try {
      signatureScheme(algIdOf(c.cert.signatureAlgorithm), undefined, 'owner-certificate');
    } catch {
      return {
        kind: 'no-path',
        message: `certificate "${c.subject}" is signed with an unsupported or forbidden algorithm ${c.cert.signatureAlgorithm.algorithmId} (MD5/SHA-1 are refused)`,
        cert: c,
      };
    }
  }
  return undefined;
}

/**
 * RFC 5280 §4.2: a certificate with a critical extension the validator does not process is
 * invalid. Applies to every certificate of the path, the trust anchor included (as OpenSSL does).
 */
function criticalExtensionFailure(path: readonly ParsedCert[]): PathFailure | undefined {
  const c = path.find((p) => p.unknownCriticalExtensions.length > 0);
  if (c === undefined) return undefined;
  return {
    kind: 'critical-extension',
    message: `certificate "${c.subject}" has an unsupported critical extension ${c.unknownCriticalExtensions.join(', ')} (RFC 5280 §4.2)`,
    cert: c,
  };
}

/** Validates `leaf` against `anchors`, using `pool` for intermediates. Never throws. */
export async function validatePath(
  leaf: ParsedCert,
  pool: readonly ParsedCert[],
  anchors: readonly ParsedCert[],
  opts: PathOptions,
): Promise<PathResult> {
  const pinned = anchors.find((a) => bytesEqual(a.der, leaf.der));
  if (pinned !== undefined) {
    const f = criticalExtensionFailure([leaf]) ?? (opts.checkValidity ? validityFailure(leaf, opts.now) : undefined);
    return f === undefined ? { ok: true, path: [leaf], anchor: pinned, anchorIsLeaf: true } : { ok: false, failure: f };
  }
  const widen = !opts.checkValidity;
  const byView = new Map<pkijs.Certificate, ParsedCert>();
  const view = (c: ParsedCert): pkijs.Certificate => {
    const v = engineView(c, widen);
    byView.set(v, c);
    return v;
  };
  const intermediates: ParsedCert[] = [];
  for (const c of pool) {
    if (
      bytesEqual(c.der, leaf.der) ||
      anchors.some((a) => bytesEqual(a.der, c.der)) ||
      intermediates.some((i) => bytesEqual(i.der, c.der))
    )
      continue;
    intermediates.push(c);
  }
  if (intermediates.length + 1 > opts.maxDepth)
    return {
      ok: false,
      failure: { kind: 'no-path', message: `${intermediates.length + 1} certificates exceed the path-building limit` },
    };
  let lookups = 0;
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: anchors.map(view),
    certs: [...intermediates.map(view), view(leaf)], // leaf LAST (pkijs footgun)
    checkDate: opts.now,
    findIssuer: (cert, eng, crypto) => {
      if (++lookups > MAX_ISSUER_LOOKUPS)
        return Promise.reject(
          decodeProblem(`path building aborted after ${MAX_ISSUER_LOOKUPS} issuer look-ups (certificate loop?)`),
        );
      return eng.defaultFindIssuer(cert, eng, crypto);
    },
  });
  let r: pkijs.CertificateChainValidationEngineVerifyResult;
  try {
    r = await engine.verify();
  } catch (err) {
    return { ok: false, failure: { kind: 'no-path', message: `path validation failed: ${messageOf(err)}` } };
  }
  if (!r.result) {
    const message = `${r.resultMessage} (pkijs code ${r.resultCode})`;
    if (r.resultCode === 8)
      return {
        ok: false,
        failure: {
          kind: 'validity',
          message: `a certificate on the path is not within its validity period: ${message}`,
          ...(validityFailure(leaf, opts.now) ? { cert: leaf } : {}),
        },
      };
    if (CONSTRAINT_CODES.has(r.resultCode))
      return {
        ok: false,
        failure: {
          kind: 'constraints',
          message: `an issuer is not a CA allowed to sign certificates (basicConstraints / keyCertSign): ${message}`,
        },
      };
    return {
      ok: false,
      failure: {
        kind: 'no-path',
        message: `no certification path from "${leaf.subject}" to a trust anchor: ${message}`,
      },
    };
  }
  const path = (r.certificatePath ?? []).map((c) => byView.get(c));
  const anchor = path[path.length - 1];
  if (
    path.length < 2 ||
    path.some((c) => c === undefined) ||
    path[0] !== leaf ||
    anchor === undefined ||
    !anchors.includes(anchor)
  ) {
    return {
      ok: false,
      failure: {
        kind: 'no-path',
        message: 'the chain engine returned a path that does not run from the leaf to a trust anchor',
      },
    };
  }
  const full = path as ParsedCert[];
  const critical = criticalExtensionFailure(full);
  if (critical !== undefined) return { ok: false, failure: critical };
  const weak = weakSignatureFailure(full);
  if (weak !== undefined) return { ok: false, failure: weak };
  const pl = pathLenFailure(full);
  if (pl !== undefined) return { ok: false, failure: pl };
  return { ok: true, path: full.slice(0, -1), anchor, anchorIsLeaf: false };
}
