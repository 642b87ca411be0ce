/**
 * Signature and digest algorithms accepted for CMS signatures and CRLs (RFC 5652 §5.3, RFC 4055,
 * RFC 5758): RSA PKCS#1 v1.5 and RSASSA-PSS with SHA-256/384/512, ECDSA with SHA-256/384/512 on
 * P-256/P-384/P-521. MD5, SHA-1 and anything else raise SZTP_ERR_CMS_UNSUPPORTED_ALGORITHM.
 * Verification itself uses node:crypto (no I/O).
 * @module
 */
import { constants, hash as oneShotHash, verify, type KeyObject } from 'node:crypto';
import { ValidationError, type ValidationStep } from '../../errors.ts';
import type * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { guard } from '../asn1.ts';
import { DIGESTS, OID, oidName } from '../oids.ts';

/** An AlgorithmIdentifier as pkijs parsed it: OID and parameters (undefined when absent or NULL). */
export interface AlgId {
  readonly oid: string;
  readonly params: asn1js.AsnType | undefined;
}

/** Reads a pkijs AlgorithmIdentifier. */
export function algIdOf(a: pkijs.AlgorithmIdentifier): AlgId {
  const p = a.algorithmParams as asn1js.AsnType | undefined;
  const isNull = p === undefined || (p.idBlock.tagClass === 1 && p.idBlock.tagNumber === 5);
  return { oid: a.algorithmId, params: isNull ? undefined : p };
}

export type HashName = 'sha256' | 'sha384' | 'sha512';

const RSA_SIG: Readonly<Record<string, HashName>> = {
  [OID.sha256WithRsa]: 'sha256',
  [OID.sha384WithRsa]: 'sha384',
  [OID.sha512WithRsa]: 'sha512',
};
const EC_SIG: Readonly<Record<string, HashName>> = {
  [OID.ecdsaSha256]: 'sha256',
  [OID.ecdsaSha384]: 'sha384',
  [OID.ecdsaSha512]: 'sha512',
};
const EC_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

function unsupported(step: ValidationStep, what: string, oid: string): ValidationError {
  return new ValidationError(
    step,
    'SZTP_ERR_CMS_UNSUPPORTED_ALGORITHM',
    `unsupported or forbidden ${what} algorithm ${oidName(oid)}`,
    {
      evidence: { check: what, algorithm: oid },
    },
  );
}

/** Maps a digestAlgorithm OID to a node hash name, refusing MD5/SHA-1/unknown. */
export function digestName(oid: string, step: ValidationStep): HashName {
  const name = DIGESTS[oid];
  if (name === undefined) throw unsupported(step, 'digest', oid);
  return name;
}

export function digest(hash: HashName, data: Uint8Array): Uint8Array {
  // One-shot: createHash builds a stream object per call, which costs more than hashing a small document.
  return oneShotHash(hash, data, 'buffer');
}

/** A resolved signature scheme, ready for node's crypto.verify. */
export interface SignatureScheme {
  readonly hash: HashName;
  readonly kind: 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa';
  readonly saltLength?: number;
  readonly name: string;
}

function pssParams(alg: AlgId, step: ValidationStep): SignatureScheme {
  const p = guard(step, 'SZTP_ERR_CMS_DECODE', 'RSASSA-PSS parameters', () => {
    const params =
      alg.params === undefined ? new pkijs.RSASSAPSSParams() : new pkijs.RSASSAPSSParams({ schema: alg.params });
    const mgf = params.maskGenAlgorithm;
    const mgfParams = mgf.algorithmParams as asn1js.AsnType | undefined;
    const mgfHash =
      mgfParams === undefined ? OID.sha1 : new pkijs.AlgorithmIdentifier({ schema: mgfParams }).algorithmId;
    return {
      hashOid: params.hashAlgorithm.algorithmId,
      mgfOid: mgf.algorithmId,
      mgfHash,
      saltLength: params.saltLength,
      trailer: params.trailerField,
    };
  });
  const hash = digestName(p.hashOid, step);
  if (p.mgfOid !== OID.mgf1) throw unsupported(step, 'PSS mask generation', p.mgfOid);
  if (p.mgfHash !== p.hashOid) throw unsupported(step, 'PSS MGF1 hash', p.mgfHash);
  if (p.trailer !== 1) throw unsupported(step, 'PSS trailer', String(p.trailer));
  return { hash, kind: 'rsa-pss', saltLength: p.saltLength, name: `RSASSA-PSS/${hash}` };
}

/**
 * Resolves a signature algorithm identifier. `digestOid` is the CMS digestAlgorithm (used when the
 * signature OID does not name a hash, e.g. rsaEncryption or id-ecPublicKey).
 */
export function signatureScheme(alg: AlgId, digestOid: string | undefined, step: ValidationStep): SignatureScheme {
  const oid = alg.oid;
  const rsaHash = RSA_SIG[oid];
  if (rsaHash) return { hash: rsaHash, kind: 'rsa-pkcs1', name: `RSA-PKCS1/${rsaHash}` };
  const ecHash = EC_SIG[oid];
  if (ecHash) return { hash: ecHash, kind: 'ecdsa', name: `ECDSA/${ecHash}` };
  if (oid === OID.rsassaPss) return pssParams(alg, step);
  if ((oid === OID.rsaEncryption || oid === OID.ecPublicKey) && digestOid !== undefined) {
    const hash = digestName(digestOid, step);
    return {
      hash,
      kind: oid === OID.rsaEncryption ? 'rsa-pkcs1' : 'ecdsa',
      name: `${oid === OID.rsaEncryption ? 'RSA-PKCS1' : 'ECDSA'}/${hash}`,
    };
  }
  throw unsupported(step, 'signature', oid);
}

/** Checks the key type fits the scheme (and the EC curve is one we accept). */
function keyFits(key: KeyObject, scheme: SignatureScheme): boolean {
  const type = key.asymmetricKeyType;
  if (scheme.kind === 'ecdsa') return type === 'ec' && EC_CURVES.has(key.asymmetricKeyDetails?.namedCurve ?? '');
  if (scheme.kind === 'rsa-pss') return type === 'rsa' || type === 'rsa-pss';
  return type === 'rsa';
}

/** Verifies `signature` over `data`. Returns false on mismatch; throws only for unsupported keys. */
export function verifySignature(
  scheme: SignatureScheme,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
  step: ValidationStep,
): boolean {
  if (!keyFits(key, scheme)) {
    throw new ValidationError(
      step,
      'SZTP_ERR_CMS_UNSUPPORTED_ALGORITHM',
      `key type ${key.asymmetricKeyType ?? '?'} does not fit ${scheme.name}`,
      {
        evidence: { check: 'signature-key', scheme: scheme.name },
      },
    );
  }
  try {
    if (scheme.kind === 'ecdsa') return verify(scheme.hash, data, { key, dsaEncoding: 'der' }, signature);
    if (scheme.kind === 'rsa-pss') {
      return verify(
        scheme.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength ?? 20 },
        signature,
      );
    }
    return verify(scheme.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
}
