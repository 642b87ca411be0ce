/**
 * RFC 9646 (CSR in SZTP), device side, towards trusted servers only: the `csr-support`
 * input, recognising a `csr-request` in an HTTP 400 `ietf-restconf:errors` reply,
 * and a PKCS#10 CSR signed by a freshly generated P-256 key, using the server's
 * `cert-req-info` subject and attributes when given, else the IDevID subject. The key goes to an
 * injected store; a new csr-request makes the previous key be discarded.
 * @module
 */
import { generateKeyPairSync } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { DeviceKey } from '../contracts/device-key.ts';
import { SztpError } from '../errors.ts';
import { fileDeviceKey } from '../platform/device-key-file.ts';
import type { RestconfErrorEntry } from './reply.ts';

/** DER AlgorithmIdentifier { id-ecPublicKey, prime256v1 }: the one key type we generate. */
export const P256_ALGORITHM_ID = new Uint8Array(
  new pkijs.AlgorithmIdentifier({
    algorithmId: '1.2.840.10045.2.1',
    algorithmParams: new asn1js.ObjectIdentifier({ value: '1.2.840.10045.3.1.7' }),
  })
    .toSchema()
    .toBER(false),
);
const P10 = 'ietf-ztp-types:p10-csr';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const RSA_SHA256 = '1.2.840.113549.1.1.11';

/** Where generated CSR keys go (the daemon persists them for the LDevID that onboarding installs). */
export interface CsrKeyStore {
  save(key: { readonly privateKeyPkcs8: Uint8Array; readonly csr: Uint8Array }): Promise<void>;
  /** Deletes the key saved for the previous CSR (RFC 9646 X-05). */
  discard(): Promise<void>;
}

/**
 * The `ietf-sztp-csr:csr-support` input member. Without `keyGeneration` (the IDevID key is in a TPM
 * or HSM, and a generated key could not be kept as safe: X-08), `key-generation` is not offered and
 * the CSR reuses the IDevID key ({@link idevidCsr}).
 */
export function csrSupportInput(keyGeneration = true): Record<string, unknown> {
  return {
    ...(keyGeneration
      ? {
          'key-generation': {
            'supported-algorithms': { 'algorithm-identifier': [Buffer.from(P256_ALGORITHM_ID).toString('base64')] },
          },
        }
      : {}),
    'csr-generation': { 'supported-formats': { 'format-identifier': [P10] } },
  };
}

export interface CsrRequest {
  readonly selectedAlgorithm?: Uint8Array;
  readonly format?: string;
  readonly certReqInfo?: Uint8Array;
}

const rec = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** The csr-request of a 400 reply's errors, if any (error-tag missing-attribute). */
export function findCsrRequest(errors: readonly RestconfErrorEntry[] | undefined): CsrRequest | undefined {
  for (const e of errors ?? []) {
    const req = rec(rec(e.errorInfo)?.['ietf-sztp-csr:csr-request']);
    if (e.errorTag !== 'missing-attribute' || req === undefined) continue;
    const alg = rec(rec(req['key-generation'])?.['selected-algorithm'])?.['algorithm-identifier'];
    const format = rec(rec(req['csr-generation'])?.['selected-format'])?.['format-identifier'];
    const cri = req['cert-req-info'];
    return {
      ...(typeof alg === 'string' ? { selectedAlgorithm: new Uint8Array(Buffer.from(alg, 'base64')) } : {}),
      ...(typeof format === 'string' ? { format } : {}),
      ...(typeof cri === 'string' ? { certReqInfo: new Uint8Array(Buffer.from(cri, 'base64')) } : {}),
    };
  }
  return undefined;
}

function templateParts(cri: Uint8Array): { subject: pkijs.RelativeDistinguishedNames; attributes?: pkijs.Attribute[] } {
  const asn = asn1js.fromBER(Uint8Array.from(cri));
  const parts = asn.offset === -1 || !(asn.result instanceof asn1js.Sequence) ? [] : asn.result.valueBlock.value;
  const subject = parts[1];
  if (subject === undefined)
    throw new SztpError('SZTP_ERR_SERVER_RESPONSE', 'cert-req-info is not a CertificationRequestInfo');
  const attrs = parts[3];
  const attributes =
    attrs instanceof asn1js.Constructed
      ? attrs.valueBlock.value.map((a) => new pkijs.Attribute({ schema: a }))
      : undefined;
  return {
    subject: new pkijs.RelativeDistinguishedNames({ schema: subject }),
    ...(attributes === undefined ? {} : { attributes }),
  };
}

/** Who signs a CSR: a key behind the DeviceKey port and the SubjectPublicKeyInfo (DER) the CSR carries. */
export interface CsrSigner {
  readonly key: DeviceKey;
  readonly spki: Uint8Array;
}

function checkRequest(request: CsrRequest): void {
  if (request.format !== undefined && request.format !== P10 && request.format !== 'p10-csr') {
    throw new SztpError('SZTP_ERR_SERVER_RESPONSE', `csr-request asks for unsupported format ${request.format}`);
  }
  if (request.selectedAlgorithm !== undefined && !Buffer.from(request.selectedAlgorithm).equals(P256_ALGORITHM_ID)) {
    throw new SztpError(
      'SZTP_ERR_SERVER_RESPONSE',
      'csr-request selected a key algorithm that was not offered (RFC 9646 X-11)',
    );
  }
}

/** A PKCS#10 CSR for `request` signed by `signer` (SHA-256 with ECDSA or RSA PKCS#1 v1.5, by key type). */
export async function signCsr(request: CsrRequest, idevid: Uint8Array, signer: CsrSigner): Promise<Uint8Array> {
  checkRequest(request);
  const base =
    request.certReqInfo === undefined
      ? { subject: pkijs.Certificate.fromBER(Uint8Array.from(idevid)).subject }
      : templateParts(request.certReqInfo);
  const signatureAlgorithm =
    signer.key.type === 'ec'
      ? new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_SHA256 })
      : new pkijs.AlgorithmIdentifier({ algorithmId: RSA_SHA256, algorithmParams: new asn1js.Null() });
  const csr = new pkijs.CertificationRequest({
    version: 0,
    subject: base.subject,
    subjectPublicKeyInfo: pkijs.PublicKeyInfo.fromBER(Uint8Array.from(signer.spki)),
    ...(base.attributes === undefined ? {} : { attributes: base.attributes }),
    signatureAlgorithm,
    signatureValue: new asn1js.BitString({ valueHex: new Uint8Array(1) }),
  });
  const full = csr.toSchema(true);
  const tbs = full.valueBlock.value[0]?.toBER(false);
  if (tbs === undefined) throw new SztpError('SZTP_ERR_SERVER_RESPONSE', 'cannot encode the CSR');
  const signature = await signer.key.sign(new Uint8Array(tbs), 'sha256');
  const seq = new asn1js.Sequence({
    value: [asn1js.fromBER(tbs).result, signatureAlgorithm.toSchema(), new asn1js.BitString({ valueHex: signature })],
  });
  return new Uint8Array(seq.toBER(false));
}

/** A CSR for `request` signed by the IDevID key itself (X-08 reuse), carrying the IDevID certificate's public key. */
export async function idevidCsr(request: CsrRequest, idevid: Uint8Array, key: DeviceKey): Promise<Uint8Array> {
  if (request.selectedAlgorithm !== undefined) {
    throw new SztpError(
      'SZTP_ERR_SERVER_RESPONSE',
      'csr-request selected a key algorithm, but key generation was not offered (RFC 9646 X-11)',
    );
  }
  const spki = new Uint8Array(
    pkijs.Certificate.fromBER(Uint8Array.from(idevid)).subjectPublicKeyInfo.toSchema().toBER(false),
  );
  return signCsr(request, idevid, { key, spki });
}

/** Generates a P-256 key and a PKCS#10 CSR for `request` signed with it; the subject comes from the template or the IDevID. */
export async function buildCsr(
  request: CsrRequest,
  idevid: Uint8Array,
): Promise<{ csr: Uint8Array; privateKeyPkcs8: Uint8Array }> {
  checkRequest(request);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const privateKeyPkcs8 = new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' }));
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  return { csr: await signCsr(request, idevid, { key: fileDeviceKey(privateKeyPkcs8), spki }), privateKeyPkcs8 };
}
