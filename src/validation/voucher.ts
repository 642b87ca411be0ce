/**
 * Step 1 of RFC 8572 §5.4: the ownership voucher (RFC 8366; optional fields of 8366bis). Verifies
 * the CMS signature, chains the signer to a configured manufacturer trust anchor with pkijs's
 * CertificateChainValidationEngine (x509/path.ts; intermediates from the CMS allowed), then
 * checks that the signer is a voucher signer and not a device identity (no subject serialNumber,
 * not TLS-only; the exact `voucher_signers` when configured), then serial-number, idevid-issuer (raw keyIdentifier or full AKI extnValue, T-18), nonce (a
 * nonce where none was sent is rejected, T-07), assertion policy, created-on / expires-on
 * (skipped when the clock is untrusted, §9.1), and extracts pinned-domain-cert and
 * domain-cert-revocation-checks. Unknown voucher members are tolerated.
 * @module
 */
import { ValidationError } from '../errors.ts';
import type { TrustContext } from '../types.ts';
import { bytesEqual, toHex } from './asn1.ts';
import { openArtifact } from './cms/open-artifact.ts';
import type { IdevidView } from './device.ts';
import { describeSid, openSignedData, sidMatches, verifySigner } from './cms/signed-data.ts';
import { decodeBase64 } from '../lib/base64.ts';
import { isObject, localName, parseBoolean, parseDateTime, parseJson, type JsonObject } from './json.ts';
import type { ValidationLimits } from './limits.ts';
import { OID, oidName } from './oids.ts';
import type { CheckLog } from './trace.ts';
import { KU, certEvidence, parseCertificate, type ParsedCert } from './x509/certificate.ts';
import { validatePath } from './x509/path.ts';

export interface ValidatedVoucher {
  readonly pinnedDomainCert: ParsedCert;
  /** true: must check, fail closed; false: must not check; undefined: PKIX default. */
  readonly revocationChecks: boolean | undefined;
  readonly json: JsonObject;
  readonly signer: ParsedCert;
}

const S = 'voucher' as const;
const fail = (
  code: ConstructorParameters<typeof ValidationError>[1],
  message: string,
  evidence: Record<string, unknown> = {},
): ValidationError => new ValidationError(S, code, message, { evidence });

function stringField(v: JsonObject, name: string, required: boolean): string | undefined {
  const x = v[name];
  if (x === undefined || (x === null && !required)) {
    if (required) throw fail('SZTP_ERR_VOUCHER_JSON', `voucher lacks the mandatory "${name}"`, { field: name });
    return undefined;
  }
  if (typeof x !== 'string') throw fail('SZTP_ERR_VOUCHER_JSON', `voucher "${name}" is not a string`, { field: name });
  return x;
}

async function checkSignature(
  bytes: Uint8Array,
  ctx: TrustContext,
  device: IdevidView,
  limits: ValidationLimits,
  log?: CheckLog,
): Promise<{ content: Uint8Array; signer: ParsedCert }> {
  const opened = await openArtifact(bytes, S, 'ownership voucher', device, limits, log);
  if (opened.type !== 'signed')
    throw fail('SZTP_ERR_CMS_CONTENT_TYPE', 'the ownership voucher is not a CMS SignedData', { check: 'content-type' });
  const anchors = ctx.voucherTrustAnchors.map((der, i) => parseCertificate(der, S, `voucher trust anchor #${i}`));
  const sd = openSignedData(opened.signedData, S, 'ownership voucher', anchors);
  if (sd.eContentType !== OID.voucherJson && sd.eContentType !== OID.data) {
    throw fail(
      'SZTP_ERR_CMS_CONTENT_TYPE',
      `voucher eContentType ${oidName(sd.eContentType)} is neither id-ct-animaJSONVoucher nor id-data`,
      { check: 'content-type' },
    );
  }
  if (sd.signerInfos.length !== 1)
    throw fail('SZTP_ERR_CMS_SIGNER', `the voucher has ${sd.signerInfos.length} signers; exactly one is required`, {
      check: 'signer',
    });
  const si = sd.signerInfos[0];
  if (si === undefined || sd.content === undefined)
    throw fail('SZTP_ERR_CMS_DECODE', 'the voucher has no signer or no content');
  const signer = [...sd.certificates, ...anchors].find((c) => sidMatches(si.sid, c));
  if (signer === undefined) {
    throw fail('SZTP_ERR_CMS_SIGNER', 'the voucher signer certificate is neither in the CMS nor a trust anchor', {
      check: 'signer',
      ...describeSid(si),
    });
  }
  const { scheme } = verifySigner(si, sd, signer, S, { signature: 'SZTP_ERR_VOUCHER_SIGNATURE' });
  log?.pass(
    S,
    'signature',
    `${scheme} signature by "${signer.subject}" verifies; eContentType ${oidName(sd.eContentType)}`,
  );
  const path = await validatePath(signer, sd.certificates, anchors, {
    now: ctx.now,
    checkValidity: ctx.policy.clockTrusted,
    maxDepth: limits.maxCertificates,
  });
  if (!path.ok) {
    throw fail(
      'SZTP_ERR_VOUCHER_UNTRUSTED',
      `the voucher signer does not chain to a manufacturer trust anchor: ${path.failure.message}`,
      {
        check: 'trust-anchor',
        signer: certEvidence(signer),
        reason: path.failure.kind,
      },
    );
  }
  checkSignerUsage(signer, ctx, log);
  log?.pass(
    S,
    'trust-anchor',
    `signer chains to trust anchor "${path.anchor.subject}"${ctx.policy.clockTrusted ? '' : ' (validity dates not checked: clock untrusted)'}`,
  );
  return { content: sd.content, signer };
}

const TLS_PURPOSES: ReadonlySet<string> = new Set([OID.ekuServerAuth, OID.ekuClientAuth]);

/**
 * Why `signer` looks like a device identity rather than a voucher signer (a MASA), or undefined: a
 * subject serialNumber (the IEEE 802.1AR IDevID profile) or an extendedKeyUsage limited to TLS.
 * Also used by `bundle`, which refuses to package a voucher devices would refuse.
 */
export function deviceIdentityReason(signer: ParsedCert): string | undefined {
  if (signer.subjectHasSerialNumber)
    return `"${signer.subject}" has a subject serialNumber: it is a device identity (IEEE 802.1AR), not a voucher signer`;
  const eku = signer.extKeyUsage;
  if (eku !== undefined && eku.length > 0 && eku.every((p) => TLS_PURPOSES.has(p)))
    return `"${signer.subject}" is limited to TLS (extendedKeyUsage ${eku.join(', ')}): it is not a voucher signer`;
  return undefined;
}

/**
 * The voucher signer's own certificate: KeyUsage allowing signatures (RFC 5280 §4.2.1.3: a CMS
 * signing key needs digitalSignature or nonRepudiation when KeyUsage is present), and its role
 * ({@link checkSignerRole}). The fast path (fast/validate.ts) runs the same checks.
 */
export function checkSignerUsage(signer: ParsedCert, ctx: TrustContext, log?: CheckLog): void {
  if (
    signer.keyUsage !== undefined &&
    !signer.keyUsage.has(KU.digitalSignature) &&
    !signer.keyUsage.has(KU.nonRepudiation)
  ) {
    throw fail('SZTP_ERR_VOUCHER_UNTRUSTED', 'the voucher signer certificate KeyUsage allows no signatures', {
      check: 'key-usage',
      signer: certEvidence(signer),
    });
  }
  checkSignerRole(signer, ctx, log);
}

/**
 * The signer must be a voucher signer (a MASA), not a device: a manufacturer root often issues the
 * IDevIDs too, and another device's IDevID key must not sign a voucher for this device. With
 * `[Device] voucher_signers` set, only the listed certificates / key identifiers may sign.
 */
function checkSignerRole(signer: ParsedCert, ctx: TrustContext, log?: CheckLog): void {
  const device = deviceIdentityReason(signer);
  if (device !== undefined)
    throw fail('SZTP_ERR_VOUCHER_SIGNER_DEVICE', `the voucher signer ${device}`, {
      check: 'signer-role',
      signer: certEvidence(signer),
    });
  const allowed = ctx.voucherSigners;
  if (allowed !== undefined && (allowed.certificates.length > 0 || allowed.keyIds.length > 0)) {
    const ski = signer.subjectKeyId;
    const listed =
      allowed.certificates.some((c) => bytesEqual(c, signer.der)) ||
      (ski !== undefined && allowed.keyIds.some((k) => bytesEqual(k, ski)));
    if (!listed) {
      throw fail(
        'SZTP_ERR_VOUCHER_SIGNER_NOT_LISTED',
        `the voucher signer "${signer.subject}" is not one of the configured voucher_signers`,
        {
          check: 'signer-role',
          signer: certEvidence(signer),
        },
      );
    }
    log?.pass(S, 'signer-role', `"${signer.subject}" is a configured voucher signer`);
    return;
  }
  log?.pass(S, 'signer-role', 'signer is not a device identity (no subject serialNumber, not TLS-only)');
}

function checkIdevidIssuer(v: JsonObject, device: IdevidView, log?: CheckLog): void {
  const raw = stringField(v, 'idevid-issuer', false);
  if (raw === undefined) {
    log?.skip(S, 'idevid-issuer', 'voucher has no idevid-issuer');
    return;
  }
  const value = decodeBase64(raw);
  if (value === undefined)
    throw fail('SZTP_ERR_VOUCHER_JSON', 'voucher idevid-issuer is not base64', { field: 'idevid-issuer' });
  const idevid = device.certificate(S);
  if (idevid === undefined)
    throw fail(
      'SZTP_ERR_VOUCHER_IDEVID_ISSUER',
      'voucher has idevid-issuer but no IDevID certificate is configured to compare it with',
      { check: 'idevid-issuer' },
    );
  const aki = idevid.authorityKeyId;
  const ok =
    aki !== undefined &&
    (bytesEqual(value, aki.extnValue) || (aki.keyIdentifier !== undefined && bytesEqual(value, aki.keyIdentifier)));
  if (!ok) {
    throw fail(
      'SZTP_ERR_VOUCHER_IDEVID_ISSUER',
      "voucher idevid-issuer does not match the IDevID's Authority Key Identifier",
      {
        check: 'idevid-issuer',
        voucher: toHex(value),
        device: aki ? toHex(aki.keyIdentifier ?? aki.extnValue) : 'none',
      },
    );
  }
  log?.pass(S, 'idevid-issuer', 'matches the IDevID Authority Key Identifier');
}

function checkNonce(v: JsonObject, ctx: TrustContext, log?: CheckLog): void {
  const raw = stringField(v, 'nonce', false);
  if (raw === undefined) {
    log?.pass(S, 'nonce', 'voucher is nonceless');
    return;
  }
  const value = decodeBase64(raw);
  if (value === undefined) throw fail('SZTP_ERR_VOUCHER_JSON', 'voucher nonce is not base64', { field: 'nonce' });
  if (ctx.nonce === undefined)
    throw fail(
      'SZTP_ERR_VOUCHER_NONCE',
      'voucher carries a nonce but no nonce was sent on this path (e.g. removable storage)',
      { check: 'nonce' },
    );
  if (!bytesEqual(value, ctx.nonce))
    throw fail('SZTP_ERR_VOUCHER_NONCE', 'voucher nonce differs from the nonce the device sent', { check: 'nonce' });
  log?.pass(S, 'nonce', 'equals the nonce sent');
}

function checkTimes(v: JsonObject, ctx: TrustContext, log?: CheckLog): void {
  const created = stringField(v, 'created-on', false);
  const expires = stringField(v, 'expires-on', false);
  const c = created === undefined ? undefined : parseDateTime(created);
  const e = expires === undefined ? undefined : parseDateTime(expires);
  if (created !== undefined && c === undefined)
    throw fail('SZTP_ERR_VOUCHER_JSON', `voucher created-on "${created}" is not an RFC 3339 date-and-time`, {
      field: 'created-on',
    });
  if (expires !== undefined && e === undefined)
    throw fail('SZTP_ERR_VOUCHER_JSON', `voucher expires-on "${expires}" is not an RFC 3339 date-and-time`, {
      field: 'expires-on',
    });
  if (!ctx.policy.clockTrusted) {
    log?.skip(S, 'created-on/expires-on', 'device clock is untrusted (RFC 8572 §9.1)');
    return;
  }
  const now = ctx.now.getTime();
  if (c !== undefined && c.getTime() > now)
    throw fail('SZTP_ERR_VOUCHER_NOT_YET_VALID', `voucher created-on ${created ?? ''} is in the future`, {
      check: 'created-on',
      now: ctx.now.toISOString(),
    });
  if (e !== undefined && e.getTime() <= now)
    throw fail('SZTP_ERR_VOUCHER_EXPIRED', `voucher expired at ${expires ?? ''}`, {
      check: 'expires-on',
      now: ctx.now.toISOString(),
    });
  log?.pass(
    S,
    'created-on/expires-on',
    `${created ?? '(no created-on)'} ≤ now${expires === undefined ? ', no expires-on' : ` < ${expires}`}`,
  );
}

/** Validates the voucher artifact; returns the pinned certificate and revocation policy. */
export async function validateVoucher(
  bytes: Uint8Array,
  ctx: TrustContext,
  device: IdevidView,
  limits: ValidationLimits,
  log?: CheckLog,
): Promise<ValidatedVoucher> {
  const { content, signer } = await checkSignature(bytes, ctx, device, limits, log);
  return checkVoucherContent(content, signer, ctx, device, limits, log, (der) =>
    parseCertificate(der, S, 'pinned-domain-cert', 'SZTP_ERR_VOUCHER_PINNED_CERT'),
  );
}

/**
 * The voucher document of a verified signature (RFC 8366): serial number, idevid-issuer, nonce,
 * assertion, created-on / expires-on, pinned-domain-cert (read with `parseCert`) and
 * domain-cert-revocation-checks. Shared with the fast path (fast/validate.ts).
 */
export function checkVoucherContent(
  content: Uint8Array,
  signer: ParsedCert,
  ctx: TrustContext,
  device: IdevidView,
  limits: ValidationLimits,
  log: CheckLog | undefined,
  parseCert: (der: Uint8Array) => ParsedCert,
): ValidatedVoucher {
  const doc = parseJson(content, S, 'SZTP_ERR_VOUCHER_JSON', 'voucher JSON', limits);
  const v = isObject(doc) ? (doc['ietf-voucher:voucher'] ?? doc.voucher) : undefined;
  if (!isObject(v)) throw fail('SZTP_ERR_VOUCHER_JSON', 'voucher JSON has no "ietf-voucher:voucher" object');
  const serial = stringField(v, 'serial-number', true);
  if (serial !== ctx.serialNumber) {
    throw fail(
      'SZTP_ERR_VOUCHER_SERIAL_MISMATCH',
      `voucher serial-number "${serial ?? ''}" is not this device ("${ctx.serialNumber}")`,
      { check: 'serial-number', voucher: serial, device: ctx.serialNumber },
    );
  }
  log?.pass(S, 'serial-number', `equals "${ctx.serialNumber}"`);
  checkIdevidIssuer(v, device, log);
  checkNonce(v, ctx, log);
  const assertion = stringField(v, 'assertion', false);
  const accepted = ctx.policy.acceptedAssertions;
  if (assertion === undefined || !accepted.includes(localName(assertion))) {
    throw fail(
      'SZTP_ERR_VOUCHER_ASSERTION',
      `voucher assertion "${assertion ?? '(none)'}" is not accepted (policy: ${accepted.join(', ')})`,
      { check: 'assertion', assertion },
    );
  }
  log?.pass(S, 'assertion', `"${localName(assertion)}" is accepted by policy`);
  checkTimes(v, ctx, log);
  const pinnedRaw = v['pinned-domain-cert'];
  const pinnedDer = typeof pinnedRaw === 'string' ? decodeBase64(pinnedRaw) : undefined;
  if (pinnedDer === undefined)
    throw fail('SZTP_ERR_VOUCHER_PINNED_CERT', 'voucher has no base64 pinned-domain-cert', {
      check: 'pinned-domain-cert',
    });
  const pinnedDomainCert = parseCert(pinnedDer);
  log?.pass(S, 'pinned-domain-cert', `"${pinnedDomainCert.subject}"`);
  const rc = v['domain-cert-revocation-checks'];
  const revocationChecks = rc === undefined || rc === null ? undefined : parseBoolean(rc);
  if (rc !== undefined && rc !== null && revocationChecks === undefined)
    throw fail('SZTP_ERR_VOUCHER_JSON', 'voucher domain-cert-revocation-checks is not a boolean', {
      field: 'domain-cert-revocation-checks',
    });
  return { pinnedDomainCert, revocationChecks, json: v, signer };
}
