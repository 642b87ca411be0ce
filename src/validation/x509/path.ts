/**
 * X.509 path building and validation (RFC 5280 §6, reduced to what RFC 8572 §5.4 needs): from a
 * leaf through intermediates to one of the given trust anchors, which may be a root, an
 * intermediate or the leaf itself (pinned end-entity, RFC 8366 / RFC 8572 §3.3 — compared by DER).
 * Checks signatures, name chaining, validity periods (unless the clock is untrusted, RFC 8572
 * §9.1), BasicConstraints cA and pathLenConstraint, and keyCertSign on issuers.
 * @module
 */
import { bytesEqual } from '../asn1.ts';
import { KU, issuedBy, type ParsedCert } from './certificate.ts';

export type PathFailure =
  | { readonly kind: 'no-path'; readonly message: string }
  | { readonly kind: 'validity'; readonly message: string; readonly cert: ParsedCert }
  | { readonly kind: 'constraints'; readonly message: string; readonly cert: ParsedCert };

export type PathResult =
  | { readonly ok: true; readonly path: readonly ParsedCert[]; readonly anchor: ParsedCert; readonly anchorIsLeaf: boolean }
  | { readonly ok: false; readonly failure: PathFailure };

export interface PathOptions {
  readonly now: Date;
  readonly checkValidity: boolean;
  /** Cap on path length (certificates), against hostile bags. */
  readonly maxDepth: number;
}

/** Finds every candidate path leaf → … → anchor by signature, shortest first (depth-first, bounded). */
function candidates(leaf: ParsedCert, pool: readonly ParsedCert[], anchors: readonly ParsedCert[], maxDepth: number): { path: ParsedCert[]; anchor: ParsedCert; anchorIsLeaf: boolean }[] {
  const found: { path: ParsedCert[]; anchor: ParsedCert; anchorIsLeaf: boolean }[] = [];
  for (const a of anchors) if (bytesEqual(a.der, leaf.der)) found.push({ path: [leaf], anchor: a, anchorIsLeaf: true });
  const walk = (path: ParsedCert[]): void => {
    const top = path[path.length - 1];
    if (top === undefined || found.length > 4) return;
    for (const a of anchors) if (!bytesEqual(a.der, top.der) && issuedBy(top, a)) found.push({ path: [...path], anchor: a, anchorIsLeaf: false });
    if (path.length >= maxDepth) return;
    for (const c of pool) {
      if (path.some((p) => bytesEqual(p.der, c.der)) || anchors.some((a) => bytesEqual(a.der, c.der))) continue;
      if (issuedBy(top, c)) walk([...path, c]);
    }
  };
  walk([leaf]);
  return found;
}

function checkPath(path: readonly ParsedCert[], anchor: ParsedCert, anchorIsLeaf: boolean, opts: PathOptions): PathFailure | undefined {
  if (opts.checkValidity) {
    const t = opts.now.getTime();
    for (const c of path) {
      const from = Date.parse(c.node.validFrom);
      const to = Date.parse(c.node.validTo);
      if (!(t >= from)) return { kind: 'validity', message: `certificate "${c.subject}" is not yet valid (notBefore ${c.node.validFrom})`, cert: c };
      if (!(t <= to)) return { kind: 'validity', message: `certificate "${c.subject}" has expired (notAfter ${c.node.validTo})`, cert: c };
    }
  }
  if (anchorIsLeaf) return undefined;
  const issuers = [...path.slice(1), anchor];
  for (let i = 0; i < issuers.length; i++) {
    const ca = issuers[i];
    if (ca === undefined) continue;
    const isAnchor = i === issuers.length - 1;
    // A trust anchor without BasicConstraints is accepted as configured; anything else must be a CA.
    if (ca.basicConstraints === undefined ? !isAnchor : !ca.basicConstraints.ca) {
      return { kind: 'constraints', message: `issuer "${ca.subject}" is not a CA (basicConstraints cA false or absent)`, cert: ca };
    }
    if (ca.keyUsage !== undefined && !ca.keyUsage.has(KU.keyCertSign)) {
      return { kind: 'constraints', message: `issuer "${ca.subject}" KeyUsage lacks keyCertSign`, cert: ca };
    }
    const below = i; // number of intermediate CAs below this issuer on the path
    const pl = ca.basicConstraints?.pathLen;
    if (pl !== undefined && below > pl) return { kind: 'constraints', message: `issuer "${ca.subject}" pathLenConstraint ${pl} exceeded`, cert: ca };
  }
  return undefined;
}

/** Validates `leaf` against `anchors`, using `pool` for intermediates. Never throws. */
export function validatePath(leaf: ParsedCert, pool: readonly ParsedCert[], anchors: readonly ParsedCert[], opts: PathOptions): PathResult {
  const found = candidates(leaf, pool, anchors, opts.maxDepth);
  if (found.length === 0) return { ok: false, failure: { kind: 'no-path', message: `no certification path from "${leaf.subject}" to a trust anchor` } };
  let firstFailure: PathFailure | undefined;
  for (const c of found) {
    const failure = checkPath(c.path, c.anchor, c.anchorIsLeaf, opts);
    if (failure === undefined) return { ok: true, path: c.path, anchor: c.anchor, anchorIsLeaf: c.anchorIsLeaf };
    firstFailure ??= failure;
  }
  return { ok: false, failure: firstFailure ?? { kind: 'no-path', message: 'no valid path' } };
}
