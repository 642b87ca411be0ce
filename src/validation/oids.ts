/**
 * Object identifiers used by the trust pipeline (RFC 8572 §3, RFC 8366 §8.4, RFC 5652, RFC 5753).
 * @module
 */
export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  voucherJson: '1.2.840.113549.1.9.16.1.40',
  conveyedXml: '1.2.840.113549.1.9.16.1.42',
  conveyedJson: '1.2.840.113549.1.9.16.1.43',
  attrContentType: '1.2.840.113549.1.9.3',
  attrMessageDigest: '1.2.840.113549.1.9.4',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  rsassaPss: '1.2.840.113549.1.1.10',
  md5: '1.2.840.113549.2.5',
  md5WithRsa: '1.2.840.113549.1.1.4',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  ecdsaSha512: '1.2.840.10045.4.3.4',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  aes128Wrap: '2.16.840.1.101.3.4.1.5',
  aes192Wrap: '2.16.840.1.101.3.4.1.25',
  aes256Wrap: '2.16.840.1.101.3.4.1.45',
  ecdhSha1Kdf: '1.3.133.16.840.63.0.2',
  ecdhSha224Kdf: '1.3.132.1.11.0',
  ecdhSha256Kdf: '1.3.132.1.11.1',
  ecdhSha384Kdf: '1.3.132.1.11.2',
  ecdhSha512Kdf: '1.3.132.1.11.3',
  extKeyUsage: '2.5.29.15',
  extBasicConstraints: '2.5.29.19',
  extSubjectKeyId: '2.5.29.14',
  extAuthorityKeyId: '2.5.29.35',
  extExtKeyUsage: '2.5.29.37',
  ekuServerAuth: '1.3.6.1.5.5.7.3.1',
  ekuClientAuth: '1.3.6.1.5.5.7.3.2',
  attrSerialNumber: '2.5.4.5',
} as const;

/**
 * Extensions whose semantics a path check here (pkijs's engine plus x509/path.ts) applies, so they
 * may be critical (RFC 5280 §4.2: a certificate with any other critical extension is invalid; this
 * is OpenSSL's list without the Netscape, proxy and RFC 3779 extensions).
 */
export const SUPPORTED_CRITICAL_EXTENSIONS: ReadonlySet<string> = new Set([
  '2.5.29.15', // keyUsage
  '2.5.29.19', // basicConstraints
  '2.5.29.37', // extKeyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.30', // nameConstraints
  '2.5.29.32', // certificatePolicies
  '2.5.29.33', // policyMappings
  '2.5.29.36', // policyConstraints
  '2.5.29.54', // inhibitAnyPolicy
]);

/** Node hash names for the digest algorithms we accept (MD5 and SHA-1 are refused for signatures). */
export const DIGESTS: Readonly<Record<string, 'sha256' | 'sha384' | 'sha512'>> = {
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

/** Readable names for evidence and explanations. */
export const OID_NAMES: Readonly<Record<string, string>> = {
  [OID.data]: 'id-data',
  [OID.signedData]: 'id-signedData',
  [OID.envelopedData]: 'id-envelopedData',
  [OID.voucherJson]: 'id-ct-animaJSONVoucher',
  [OID.conveyedXml]: 'id-ct-sztpConveyedInfoXML',
  [OID.conveyedJson]: 'id-ct-sztpConveyedInfoJSON',
  [OID.md5]: 'md5',
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

export const oidName = (oid: string): string => OID_NAMES[oid] ?? oid;
