/**
 * Typed decoding of conveyed information (RFC 8572 §6, `ietf-sztp-conveyed-info@2019-04-30`):
 * exactly one of `redirect-information` / `onboarding-information`, the YANG `must` pairs
 * (configuration ↔ configuration-handling, image-verification → download-uri), hash-value as
 * colon hex, base64 binaries (whitespace tolerated), URIs, port range, unique server addresses.
 * Unknown members are rejected. JSON quirks tolerated: unprefixed identities, numeric strings for
 * `port`, `null` scripts as absent (T-11).
 * @module
 */
import { ValidationError } from '../errors.ts';
import type {
  BootImage,
  BootstrapServerEntry,
  ImageVerification,
  OnboardingInformation,
  RedirectInformation,
} from '../types.ts';
import { decodeBase64 } from '../lib/base64.ts';
import { isObject, localName, type JsonObject } from './json.ts';

const S = 'conveyed-information' as const;
export const MODULE = 'ietf-sztp-conveyed-info';

const schema = (message: string, path: string): ValidationError =>
  new ValidationError(S, 'SZTP_ERR_CONVEYED_SCHEMA', message, { evidence: { path } });

export type DecodedConveyed =
  | { readonly kind: 'onboarding-information'; readonly onboarding: OnboardingInformation }
  | { readonly kind: 'redirect-information'; readonly redirect: RedirectInformation };

function onlyKnown(o: JsonObject, known: readonly string[], path: string): void {
  for (const k of Object.keys(o))
    if (!known.includes(k)) throw schema(`unknown member "${k}" in ${path}`, `${path}/${k}`);
}

function str(o: JsonObject, k: string, path: string): string | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw schema(`${path}/${k} must be a string`, `${path}/${k}`);
  return v;
}

function binary(o: JsonObject, k: string, path: string): Uint8Array | undefined {
  const v = str(o, k, path);
  if (v === undefined) return undefined;
  const b = decodeBase64(v);
  if (b === undefined) throw schema(`${path}/${k} is not valid base64`, `${path}/${k}`);
  return b;
}

const HEX = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*$/;

function isUri(s: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) || /\s/.test(s)) return false;
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

function bootImage(v: unknown, path: string): BootImage {
  if (!isObject(v)) throw schema(`${path} must be an object`, path);
  onlyKnown(v, ['os-name', 'os-version', 'download-uri', 'image-verification'], path);
  const uris = v['download-uri'] ?? [];
  if (!Array.isArray(uris) || uris.some((u) => typeof u !== 'string' || !isUri(u)))
    throw schema(`${path}/download-uri must be a list of URIs`, `${path}/download-uri`);
  const iv = v['image-verification'] ?? [];
  if (!Array.isArray(iv)) throw schema(`${path}/image-verification must be a list`, `${path}/image-verification`);
  if (iv.length > 0 && uris.length === 0)
    throw schema('image-verification requires download-uri (YANG must)', `${path}/image-verification`);
  const seen = new Map<string, string>();
  const imageVerification: ImageVerification[] = [];
  iv.forEach((e: unknown, i) => {
    const p = `${path}/image-verification[${i}]`;
    if (!isObject(e)) throw schema(`${p} must be an object`, p);
    onlyKnown(e, ['hash-algorithm', 'hash-value'], p);
    const alg = str(e, 'hash-algorithm', p);
    const hv = str(e, 'hash-value', p);
    if (alg === undefined || hv === undefined) throw schema(`${p} needs hash-algorithm and hash-value`, p);
    if (!HEX.test(hv)) throw schema(`${p}/hash-value is not colon-separated hex`, `${p}/hash-value`);
    const hashAlgorithm = localName(alg);
    const hex = hv.replace(/:/g, '').toLowerCase();
    // Cisco's USB tool repeats the same entry once per download-uri: tolerate identical duplicates.
    const prev = seen.get(hashAlgorithm);
    if (prev !== undefined && prev !== hex)
      throw schema(`conflicting image-verification entries for ${hashAlgorithm}`, p);
    if (prev !== undefined) return;
    seen.set(hashAlgorithm, hex);
    imageVerification.push({ hashAlgorithm, hashValue: new Uint8Array(Buffer.from(hex, 'hex')) });
  });
  const osName = str(v, 'os-name', path);
  const osVersion = str(v, 'os-version', path);
  return {
    ...(osName === undefined ? {} : { osName }),
    ...(osVersion === undefined ? {} : { osVersion }),
    downloadUris: uris as string[],
    imageVerification,
  };
}

function onboarding(v: unknown): OnboardingInformation {
  const path = 'onboarding-information';
  if (!isObject(v)) throw schema(`${path} must be an object`, path);
  onlyKnown(
    v,
    ['boot-image', 'configuration-handling', 'pre-configuration-script', 'configuration', 'post-configuration-script'],
    path,
  );
  const handling = str(v, 'configuration-handling', path);
  if (handling !== undefined && handling !== 'merge' && handling !== 'replace')
    throw schema(`configuration-handling "${handling}" is neither merge nor replace`, `${path}/configuration-handling`);
  const configuration = binary(v, 'configuration', path);
  if ((configuration === undefined) !== (handling === undefined))
    throw schema('configuration and configuration-handling must come together (YANG must)', `${path}/configuration`);
  const pre = binary(v, 'pre-configuration-script', path);
  const post = binary(v, 'post-configuration-script', path);
  const bi =
    v['boot-image'] === undefined || v['boot-image'] === null
      ? undefined
      : bootImage(v['boot-image'], `${path}/boot-image`);
  return {
    ...(bi === undefined ? {} : { bootImage: bi }),
    ...(handling === undefined ? {} : { configurationHandling: handling }),
    ...(pre === undefined ? {} : { preConfigurationScript: pre }),
    ...(configuration === undefined ? {} : { configuration }),
    ...(post === undefined ? {} : { postConfigurationScript: post }),
  };
}

const HOST =
  /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})?)(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})?)*\.?$|^[0-9a-fA-F:.]+(%[\w.-]+)?$/;

function redirect(v: unknown): RedirectInformation {
  const path = 'redirect-information';
  if (!isObject(v)) throw schema(`${path} must be an object`, path);
  onlyKnown(v, ['bootstrap-server'], path);
  const list = v['bootstrap-server'];
  if (!Array.isArray(list) || list.length === 0)
    throw schema('bootstrap-server must be a non-empty list', `${path}/bootstrap-server`);
  const seen = new Set<string>();
  const bootstrapServers: BootstrapServerEntry[] = list.map((e: unknown, i) => {
    const p = `${path}/bootstrap-server[${i}]`;
    if (!isObject(e)) throw schema(`${p} must be an object`, p);
    onlyKnown(e, ['address', 'port', 'trust-anchor'], p);
    const address = str(e, 'address', p);
    if (address === undefined || address.length === 0 || address.length > 253 || !HOST.test(address))
      throw schema(`${p}/address is not a host name or IP address`, `${p}/address`);
    if (seen.has(address)) throw schema(`duplicate bootstrap-server address ${address}`, p);
    seen.add(address);
    const rawPort = e.port ?? 443;
    const port = typeof rawPort === 'string' && /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : rawPort;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
      throw schema(`${p}/port must be 1..65535`, `${p}/port`);
    const trustAnchor = binary(e, 'trust-anchor', p);
    return { address, port, ...(trustAnchor === undefined ? {} : { trustAnchor }) };
  });
  return { bootstrapServers };
}

/** Decodes an RFC 8572 §6 JSON document (already parsed). */
export function decodeConveyedInformation(doc: unknown): DecodedConveyed {
  if (!isObject(doc)) throw schema('conveyed information must be a JSON object', '/');
  const keys = Object.keys(doc);
  if (keys.length !== 1)
    throw schema(`conveyed information must have exactly one top-level member, found ${keys.length}`, '/');
  const key = keys[0] ?? '';
  if (key === `${MODULE}:onboarding-information`)
    return { kind: 'onboarding-information', onboarding: onboarding(doc[key]) };
  if (key === `${MODULE}:redirect-information`) return { kind: 'redirect-information', redirect: redirect(doc[key]) };
  throw schema(
    `unknown top-level member "${key}" (expected ${MODULE}:onboarding-information or :redirect-information)`,
    `/${key}`,
  );
}
