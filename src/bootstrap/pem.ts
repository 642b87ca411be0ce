/**
 * The RFC 8572 `trust-anchor` encoding used on the bootstrap-server path (a degenerate
 * "certs-only" CMS SignedData, §5.5 / C-144) in both directions. PEM armour is src/lib/pem.ts.
 * Pure functions, no I/O.
 * @module
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SztpError } from '../errors.ts';

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_DATA = '1.2.840.113549.1.7.1';

/** The certificates of a degenerate SignedData (`trust-anchor`), DER each, in the order carried. */
export function certsFromDegenerateCms(der: Uint8Array): Uint8Array[] {
  try {
    const asn = asn1js.fromBER(Uint8Array.from(der));
    if (asn.offset === -1) throw new SztpError('SZTP_ERR_CMS_DECODE', 'trust-anchor is not BER');
    const ci = new pkijs.ContentInfo({ schema: asn.result });
    if (ci.contentType !== OID_SIGNED_DATA) {
      throw new SztpError('SZTP_ERR_CMS_CONTENT_TYPE', `trust-anchor content type ${ci.contentType} is not SignedData`);
    }
    const sd = new pkijs.SignedData({ schema: ci.content });
    const certs = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
    if (certs.length === 0) throw new SztpError('SZTP_ERR_CMS_DECODE', 'trust-anchor carries no certificate');
    return certs.map((c) => new Uint8Array(c.toSchema().toBER(false)));
  } catch (err) {
    if (err instanceof SztpError) throw err;
    throw new SztpError('SZTP_ERR_CMS_DECODE', 'trust-anchor is not a certs-only CMS', { cause: err });
  }
}

/** Builds a degenerate certs-only SignedData (DER) around `certs` (used for configured anchors). */
export function degenerateCmsFromCerts(certs: readonly Uint8Array[]): Uint8Array {
  const parsed = certs.map((der) => pkijs.Certificate.fromBER(Uint8Array.from(der)));
  const sd = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID_DATA }),
    certificates: parsed,
  });
  const ci = new pkijs.ContentInfo({ contentType: OID_SIGNED_DATA, content: sd.toSchema(true) });
  return new Uint8Array(ci.toSchema().toBER(false));
}
