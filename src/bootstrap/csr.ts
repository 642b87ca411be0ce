/**
 * RFC 9646 (CSR in SZTP), device side, towards trusted servers only: the `csr-support`
 * input, recognising a `csr-request` in an HTTP 400 `ietf-restconf:errors` reply,
 * and a PKCS#10 CSR signed by a freshly generated P-256 key, using the server's
 * `cert-req-info` subject and attributes when given, else the IDevID subject. The key goes to an
 * injected store; a new csr-request makes the previous key be discarded.
 * @module
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SztpError } from '../errors.ts';
import type { RestconfErrorEntry } from './reply.ts';

/** DER AlgorithmIdentifier { id-ecPublicKey, prime256v1 }: the one key type we generate. */
export const P256_ALGORITHM_ID = new Uint8Array(new pkijs.AlgorithmIdentifier({
  algorithmId: '1.2.840.10045.2.1', algorithmParams: new asn1js.ObjectIdentifier({ value: '1.2.840.10045.3.1.7' }),
}).toSchema().toBER(false));
const P10 = 'ietf-ztp-types:p10-csr';

/** Where generated CSR keys go (the daemon persists them for the LDevID that onboarding installs). */
export interface CsrKeyStore {
  save(key: { readonly privateKeyPkcs8: Uint8Array; readonly csr: Uint8Array }): Promise<void>;
  /** Deletes the key saved for the previous CSR (RFC 9646 X-05). */
  discard(): Promise<void>;
}

/** The `ietf-sztp-csr:csr-support` input member. */
export function csrSupportInput(): Record<string, unknown> {
  return {
    'key-generation': { 'supported-algorithms': { 'algorithm-identifier': [Buffer.from(P256_ALGORITHM_ID).toString('base64')] } },
    'csr-generation': { 'supported-formats': { 'format-identifier': [P10] } },
  };
}

export interface CsrRequest {
  readonly selectedAlgorithm?: Uint8Array;
  readonly format?: string;
  readonly certReqInfo?: Uint8Array;
}

const rec = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

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
  if (subject === undefined) throw new SztpError('SZTP_ERR_SERVER_RESPONSE', 'cert-req-info is not a CertificationRequestInfo');
  const attrs = parts[3];
  const attributes = attrs instanceof asn1js.Constructed ? attrs.valueBlock.value.map((a) => new pkijs.Attribute({ schema: a })) : undefined;
  return { subject: new pkijs.RelativeDistinguishedNames({ schema: subject }), ...(attributes === undefined ? {} : { attributes }) };
}

/** Generates a P-256 key and a PKCS#10 CSR for `request`; the subject comes from the template or the IDevID. */
export function buildCsr(request: CsrRequest, idevid: Uint8Array): { csr: Uint8Array; privateKeyPkcs8: Uint8Array } {
  if (request.format !== undefined && request.format !== P10 && request.format !== 'p10-csr') {
    throw new SztpError('SZTP_ERR_SERVER_RESPONSE', `csr-request asks for unsupported format ${request.format}`);
  }
  if (request.selectedAlgorithm !== undefined && !Buffer.from(request.selectedAlgorithm).equals(P256_ALGORITHM_ID)) {
    throw new SztpError('SZTP_ERR_SERVER_RESPONSE', 'csr-request selected a key algorithm that was not offered (RFC 9646 X-11)');
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const base = request.certReqInfo === undefined
    ? { subject: pkijs.Certificate.fromBER(Uint8Array.from(idevid)).subject }
    : templateParts(request.certReqInfo);
  const csr = new pkijs.CertificationRequest({
    version: 0,
    subject: base.subject,
    subjectPublicKeyInfo: pkijs.PublicKeyInfo.fromBER(publicKey.export({ type: 'spki', format: 'der' })),
    ...(base.attributes === undefined ? {} : { attributes: base.attributes }),
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.10045.4.3.2' }),
    signatureValue: new asn1js.BitString({ valueHex: new Uint8Array(1) }),
  });
  const full = csr.toSchema(true);
  const tbs = full.valueBlock.value[0]?.toBER(false);
  if (tbs === undefined) throw new SztpError('SZTP_ERR_SERVER_RESPONSE', 'cannot encode the CSR');
  return { csr: signTbs(tbs, privateKey), privateKeyPkcs8: new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' })) };
}

function signTbs(tbs: ArrayBuffer, key: KeyObject): Uint8Array {
  const signature = sign('sha256', Buffer.from(tbs), key);
  const seq = new asn1js.Sequence({
    value: [
      asn1js.fromBER(tbs).result,
      new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.10045.4.3.2' }).toSchema(),
      new asn1js.BitString({ valueHex: signature }),
    ],
  });
  return new Uint8Array(seq.toBER(false));
}
