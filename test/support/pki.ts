/**
 * Test PKI made by the openssl CLI, an independent producer: MASA CA (voucher trust anchor) and MASA
 * signer, a separate manufacturer device CA with the IDevID (subject serialNumber), owner (pinned-domain) CA and owner EE certificate, bootstrap-server TLS
 * CA and server certificate. Helpers sign vouchers and conveyed information with `openssl cms` and
 * write USB (EN9) layouts. For tests and scripts only; src/ never imports this.
 * @module
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type KeyKind = 'rsa' | 'p256' | 'p384';

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly dir: string;
  readonly kind: KeyKind;
  readonly serial: string;
  /** Manufacturer device CA: issues the IDevID (never a voucher trust anchor in the documented set-up). */
  readonly manufacturer: CertFiles;
  /** MASA CA: the voucher trust anchor; issues only the MASA voucher signer. */
  readonly masaCa: CertFiles;
  /** Voucher signer (MASA EE) issued by the MASA CA. */
  readonly masa: CertFiles;
  /** Device IDevID, subject serialNumber = serial, issued by the manufacturer CA. */
  readonly device: CertFiles;
  /** Owner CA: the voucher's pinned-domain-cert. */
  readonly ownerCa: CertFiles;
  /** Owner EE certificate (keyUsage digitalSignature) that signs conveyed information. */
  readonly owner: CertFiles;
  /** TLS CA for bootstrap servers (bootstrap_trust_anchors) and a server cert for 127.0.0.1/localhost/::1. */
  readonly serverCa: CertFiles;
  readonly server: CertFiles;
}

export function openssl(args: readonly string[], input?: string | Uint8Array): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

function keyArgs(kind: KeyKind): string[] {
  switch (kind) {
    case 'rsa':
      return ['-newkey', 'rsa:2048'];
    case 'p256':
      return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
    case 'p384':
      return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1'];
  }
}

const digestFor = (kind: KeyKind): string => (kind === 'p384' ? '-sha384' : '-sha256');

/** What {@link makeCa} puts in a CA certificate unless told otherwise (openssl -addext values). */
const CA_EXTENSIONS = [
  'basicConstraints=critical,CA:TRUE',
  'keyUsage=critical,keyCertSign,cRLSign',
  'subjectKeyIdentifier=hash',
] as const;

/** Self-signed certificate (a CA unless `extensions` says otherwise); `subject` may hold UTF-8. */
export function makeCa(
  dir: string,
  name: string,
  kind: KeyKind,
  subject = `/CN=${name}`,
  extensions: readonly string[] = CA_EXTENSIONS,
): CertFiles {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  openssl([
    'req',
    '-x509',
    ...keyArgs(kind),
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '36500',
    digestFor(kind),
    '-utf8',
    '-subj',
    subject,
    ...extensions.flatMap((e) => ['-addext', e]),
  ]);
  return { cert, key };
}

/** Certificate issued by `issuer`, with extra extension lines (openssl x509v3 config syntax). */
export function issueCert(
  dir: string,
  name: string,
  kind: KeyKind,
  issuer: CertFiles,
  subject: string,
  extensions: readonly string[],
  days = 36500,
): CertFiles {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  openssl(['req', ...keyArgs(kind), '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  writeFileSync(ext, ['subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid', ...extensions].join('\n') + '\n');
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    issuer.cert,
    '-CAkey',
    issuer.key,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    String(days),
    digestFor(kind),
    '-extfile',
    ext,
  ]);
  return { cert, key };
}

/**
 * Builds a complete test PKI in `dir` (created if needed). Takes well under a second for EC, ~1 s for RSA.
 * `subjectSerial` is the IDevID subject serialNumber when it is not the bare `serial` (e.g. a Cisco
 * SUDI `PID:C9300-24T SN:<serial>`).
 */
export function makeTestPki(
  dir: string,
  kind: KeyKind = 'p256',
  serial = 'SN-TEST-0001',
  subjectSerial = serial,
): TestPki {
  mkdirSync(dir, { recursive: true });
  const manufacturer = makeCa(dir, 'manufacturer-ca', kind);
  const masaCa = makeCa(dir, 'masa-ca', kind);
  const masa = issueCert(dir, 'masa', kind, masaCa, '/CN=masa', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
  ]);
  const device = issueCert(dir, 'idevid', kind, manufacturer, `/CN=device/serialNumber=${subjectSerial}`, [
    'basicConstraints=critical,CA:FALSE',
    `keyUsage=critical,digitalSignature${kind === 'rsa' ? ',keyEncipherment' : ',keyAgreement'}`,
    'extendedKeyUsage=clientAuth',
  ]);
  const ownerCa = makeCa(dir, 'owner-ca', kind);
  const owner = issueCert(dir, 'owner', kind, ownerCa, '/CN=owner', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
  ]);
  const serverCa = makeCa(dir, 'server-ca', kind);
  const server = issueCert(dir, 'server', kind, serverCa, '/CN=localhost', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1,IP:192.0.2.1,IP:2001:db8:1::1',
  ]);
  return { dir, kind, serial, manufacturer, masaCa, masa, device, ownerCa, owner, serverCa, server };
}

/** DER bytes of a PEM certificate file. */
export function certDer(certPath: string): Buffer {
  return openssl(['x509', '-in', certPath, '-outform', 'DER']);
}

export const OID_VOUCHER = '1.2.840.113549.1.9.16.1.40';
export const OID_CONVEYED_JSON = '1.2.840.113549.1.9.16.1.43';

/** `openssl cms -sign -binary -nodetach` over `content`, DER output. */
export function cmsSign(
  content: string | Uint8Array,
  signer: CertFiles,
  eContentType: string | undefined,
  extra: readonly string[] = [],
): Buffer {
  const args = [
    'cms',
    '-sign',
    '-binary',
    '-nodetach',
    '-outform',
    'DER',
    '-signer',
    signer.cert,
    '-inkey',
    signer.key,
    ...extra,
  ];
  if (eContentType !== undefined) args.push('-econtent_type', eContentType);
  return openssl(args, content);
}

export interface VoucherOptions {
  readonly serial?: string;
  readonly assertion?: string;
  readonly createdOn?: string;
  readonly expiresOn?: string;
  /** base64 */
  readonly nonce?: string;
  /** base64 of DER; default: the owner CA. */
  readonly pinnedDomainCert?: string;
  readonly idevidIssuer?: string;
  readonly domainCertRevocationChecks?: boolean | string;
  readonly extra?: Record<string, unknown>;
}

export function voucherJson(pki: TestPki, o: VoucherOptions = {}): Record<string, unknown> {
  const v: Record<string, unknown> = {
    'created-on': o.createdOn ?? '2024-01-01T00:00:00Z',
    assertion: o.assertion ?? 'verified',
    'serial-number': o.serial ?? pki.serial,
    'pinned-domain-cert': o.pinnedDomainCert ?? certDer(pki.ownerCa.cert).toString('base64'),
  };
  if (o.expiresOn !== undefined) v['expires-on'] = o.expiresOn;
  if (o.nonce !== undefined) v.nonce = o.nonce;
  if (o.idevidIssuer !== undefined) v['idevid-issuer'] = o.idevidIssuer;
  if (o.domainCertRevocationChecks !== undefined) v['domain-cert-revocation-checks'] = o.domainCertRevocationChecks;
  return { 'ietf-voucher:voucher': { ...v, ...o.extra } };
}

/** Signed ownership voucher (MASA signer + its chain), eContentType id-ct-animaJSONVoucher. */
export function makeVoucher(pki: TestPki, o: VoucherOptions = {}): Buffer {
  return cmsSign(JSON.stringify(voucherJson(pki, o)), pki.masa, OID_VOUCHER, ['-certfile', pki.masaCa.cert]);
}

/** Degenerate certs-only SignedData with the owner EE certificate and the owner CA. */
export function makeOwnerCertificate(pki: TestPki): Buffer {
  return openssl([
    'crl2pkcs7',
    '-nocrl',
    '-certfile',
    pki.owner.cert,
    '-certfile',
    pki.ownerCa.cert,
    '-outform',
    'DER',
  ]);
}

/** Conveyed information signed by the owner EE certificate (eContentType JSON, no embedded certs). */
export function signConveyedInfo(pki: TestPki, doc: unknown): Buffer {
  return cmsSign(JSON.stringify(doc), pki.owner, OID_CONVEYED_JSON, ['-nocerts']);
}

/**
 * The `boot-image` of onboarding information for the simulated router's SimOS (which runs 1.0 in
 * the tests' devices, so 2.0 is installed): its mirrors and the SHA-256 of `image`.
 */
export function simOsBootImage(uris: readonly string[], image: string | Uint8Array): Record<string, unknown> {
  const hash = createHash('sha256').update(image).digest('hex').match(/../g)?.join(':') ?? '';
  return {
    'os-name': 'SimOS',
    'os-version': '2.0',
    'download-uri': [...uris],
    'image-verification': [{ 'hash-algorithm': 'sha-256', 'hash-value': hash }],
  };
}

export interface OnboardingContent {
  readonly configuration?: string;
  readonly configurationHandling?: 'merge' | 'replace';
  readonly preScript?: string;
  readonly postScript?: string;
  readonly bootImage?: Record<string, unknown>;
}

export function onboardingJson(c: OnboardingContent): Record<string, unknown> {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const o: Record<string, unknown> = {};
  if (c.bootImage !== undefined) o['boot-image'] = c.bootImage;
  if (c.configuration !== undefined) {
    o['configuration-handling'] = c.configurationHandling ?? 'merge';
    o.configuration = b64(c.configuration);
  }
  if (c.preScript !== undefined) o['pre-configuration-script'] = b64(c.preScript);
  if (c.postScript !== undefined) o['post-configuration-script'] = b64(c.postScript);
  return { 'ietf-sztp-conveyed-info:onboarding-information': o };
}

export interface Bundle {
  readonly conveyedInformation: Buffer;
  readonly ownerCertificate: Buffer;
  readonly ownershipVoucher: Buffer;
}

/** A complete signed bundle for `doc` (conveyed-information JSON document). */
export function makeSignedBundle(pki: TestPki, doc: unknown, voucher: VoucherOptions = {}): Bundle {
  return {
    conveyedInformation: signConveyedInfo(pki, doc),
    ownerCertificate: makeOwnerCertificate(pki),
    ownershipVoucher: makeVoucher(pki, voucher),
  };
}

/** Writes `<root>/EN9/{conveyed-information.cms, owner-certificate.cms, ownership-voucher.vcj}`; returns the EN9 path. */
export function writeEn9(root: string, bundle: Bundle): string {
  const en9 = join(root, 'EN9');
  mkdirSync(en9, { recursive: true });
  writeFileSync(join(en9, 'conveyed-information.cms'), bundle.conveyedInformation);
  writeFileSync(join(en9, 'owner-certificate.cms'), bundle.ownerCertificate);
  writeFileSync(join(en9, 'ownership-voucher.vcj'), bundle.ownershipVoucher);
  return en9;
}

/** A ztp.ini for this PKI; `sections` adds or overrides lines per section. */
export function ztpIni(pki: TestPki, stateDir: string, sections: Record<string, Record<string, string>> = {}): string {
  const base: Record<string, Record<string, string>> = {
    Startup: { start: 'True', retry_forever: 'False' },
    Device: {
      serial_number: pki.serial,
      idevid_cert: pki.device.cert,
      idevid_key: pki.device.key,
      voucher_trust_anchors: pki.masaCa.cert,
      bootstrap_trust_anchors: pki.serverCa.cert,
    },
    Agent: { state_dir: stateDir, log_level: 'info', backoff_initial_seconds: '1', backoff_max_seconds: '2' },
  };
  for (const [s, kv] of Object.entries(sections)) base[s] = { ...(base[s] ?? {}), ...kv };
  return Object.entries(base)
    .map(
      ([s, kv]) =>
        `[${s}]\n${Object.entries(kv)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n')}\n`,
    )
    .join('\n');
}

/** A directory `<parent>/<name>` holding a ztp.ini (state in `state/`, sections as for {@link ztpIni}). */
export function agentBox(
  parent: string,
  name: string,
  pki: TestPki,
  sections: Record<string, Record<string, string>>,
): { box: string; ini: string } {
  const box = join(parent, name);
  mkdirSync(box, { recursive: true });
  const ini = join(box, 'ztp.ini');
  writeFileSync(ini, ztpIni(pki, join(box, 'state'), sections));
  return { box, ini };
}

/** The `[Router]` section of the simulated router adapter rooted at `root`. */
export function simulatedRouter(root: string): Record<string, string> {
  return { adapter: 'simulated', root, os_name: 'SimOS', os_version: '1.0', hw_model: 'sim-1' };
}

/** Reads a file as a Buffer (convenience for tests). */
export const readBytes = (p: string): Buffer => readFileSync(p);
