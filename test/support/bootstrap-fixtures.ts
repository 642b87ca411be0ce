/**
 * Conveyed-information builders for bootstrap-server tests: unsigned CMS (id-data, like Arista's
 * `openssl cms -data_create`), redirect documents, trust-anchor CMS, and servers with certificates
 * from an unrelated CA. Everything made by the openssl CLI.
 * @module
 */
import { join } from 'node:path';
import type { Reply } from './bootstrap-server.ts';
import { bootstrappingReply } from './bootstrap-server.ts';
import {
  issueCert,
  makeCa,
  makeSignedBundle,
  onboardingJson,
  openssl,
  type CertFiles,
  type TestPki,
  type VoucherOptions,
} from './pki.ts';

/** Unsigned conveyed information: a ContentInfo of type id-data holding the JSON. */
export function unsignedConveyed(doc: unknown): Buffer {
  return openssl(['cms', '-data_create', '-binary', '-outform', 'DER'], JSON.stringify(doc));
}

/** Degenerate certs-only SignedData holding `certs` (PEM files), e.g. a redirect trust-anchor. */
export function trustAnchorCms(...certs: string[]): Buffer {
  return openssl(['crl2pkcs7', '-nocrl', ...certs.flatMap((c) => ['-certfile', c]), '-outform', 'DER']);
}

export interface RedirectTarget {
  readonly address: string;
  readonly port: number;
  readonly trustAnchor?: Uint8Array;
}

export function redirectJson(targets: readonly RedirectTarget[]): Record<string, unknown> {
  return {
    'ietf-sztp-conveyed-info:redirect-information': {
      'bootstrap-server': targets.map((t) => ({
        address: t.address,
        port: t.port,
        ...(t.trustAnchor === undefined ? {} : { 'trust-anchor': Buffer.from(t.trustAnchor).toString('base64') }),
      })),
    },
  };
}

export const SIMPLE_ONBOARDING = onboardingJson({ configuration: 'hostname r1\n', configurationHandling: 'merge' });

export function unsignedReply(doc: unknown, level?: 'minimal' | 'verbose'): Reply {
  return bootstrappingReply({ conveyedInformation: unsignedConveyed(doc) }, level);
}

/** A signed reply; `nonce` (base64) goes into the voucher. */
export function signedReply(
  pki: TestPki,
  doc: unknown,
  voucher: VoucherOptions = {},
  level?: 'minimal' | 'verbose',
): Reply {
  return bootstrappingReply(makeSignedBundle(pki, doc, voucher), level);
}

/** A server certificate for localhost/127.0.0.1/::1 issued by a CA unrelated to the test PKI. */
export function rogueServerCert(dir: string): { ca: CertFiles; server: CertFiles } {
  const ca = makeCa(dir, 'rogue-ca', 'p256');
  const server = issueCert(dir, 'rogue-server', 'p256', ca, '/CN=localhost', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
  ]);
  return { ca, server };
}

export const joinPath = join;

/** An RFC 9646 csr-request (HTTP 400, error-tag missing-attribute) asking for a p10-csr, without selecting a key algorithm. */
export const CSR_REQUEST: Reply = {
  status: 400,
  headers: { 'content-type': 'application/yang-data+json' },
  body: JSON.stringify({
    'ietf-restconf:errors': {
      error: [
        {
          'error-type': 'application',
          'error-tag': 'missing-attribute',
          'error-message': 'CSR needed',
          'error-info': {
            'ietf-sztp-csr:csr-request': {
              'csr-generation': { 'selected-format': { 'format-identifier': 'ietf-ztp-types:p10-csr' } },
            },
          },
        },
      ],
    },
  }),
};
