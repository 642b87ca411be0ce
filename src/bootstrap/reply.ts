/**
 * Decoding of bootstrap-server replies (RFC 8572 §7, RFC 8040 §3.1, §7): the
 * `get-bootstrapping-data` output (JSON by default, XML accepted, T-10), `ietf-restconf:errors`
 * bodies, and the host-meta XRD used for RESTCONF root discovery. Pure functions, no I/O.
 * @module
 */
import { XMLParser } from 'fast-xml-parser';
import { SztpError } from '../errors.ts';
import { inert } from '../lib/inert-text.ts';
import { decodeBase64 } from '../lib/base64.ts';
import type { BootstrappingArtifacts } from '../types.ts';

export type ReportingLevel = 'minimal' | 'verbose';

export interface BootstrappingReply {
  readonly artifacts: BootstrappingArtifacts;
  readonly reportingLevel: ReportingLevel;
}

export interface RestconfErrorEntry {
  readonly errorType?: string;
  readonly errorTag?: string;
  readonly errorAppTag?: string;
  readonly errorPath?: string;
  readonly errorMessage?: string;
  /** `error-info` as received (JSON only), e.g. RFC 9646 `ietf-sztp-csr:csr-request`. */
  readonly errorInfo?: unknown;
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  processEntities: false,
  isArray: (name) => name === 'error' || name === 'Link',
});

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isXml(contentType: string, body: string): boolean {
  return /xml/i.test(contentType) || (!/json/i.test(contentType) && body.trimStart().startsWith('<'));
}

function parseDoc(body: string, contentType: string): Record<string, unknown> {
  try {
    const doc: unknown = isXml(contentType, body) ? xml.parse(body) : JSON.parse(body);
    if (!isRecord(doc)) throw new SztpError('SZTP_ERR_SERVER_RESPONSE', 'reply is not an object');
    return doc;
  } catch (err) {
    if (err instanceof SztpError) throw err;
    throw new SztpError('SZTP_ERR_SERVER_RESPONSE', 'reply body is neither JSON nor XML', { cause: err });
  }
}

/** A non-empty base64 reply field (strict RFC 4648, whitespace ignored, T-11); SZTP_ERR_SERVER_RESPONSE otherwise. */
export function decodeBase64Field(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string') throw new SztpError('SZTP_ERR_SERVER_RESPONSE', `${field} is not a base64 string`);
  const bytes = decodeBase64(value);
  if (bytes === undefined || bytes.length === 0)
    throw new SztpError('SZTP_ERR_SERVER_RESPONSE', `${field} is not valid base64`);
  return bytes;
}

/** The member named `local` with or without a module prefix. */
function member(obj: Record<string, unknown>, module: string, local: string): unknown {
  return obj[`${module}:${local}`] ?? obj[local];
}

/** Decodes a 200 reply of `get-bootstrapping-data`. */
export function parseBootstrappingReply(body: string, contentType: string): BootstrappingReply {
  const doc = parseDoc(body, contentType);
  const out = member(doc, 'ietf-sztp-bootstrap-server', 'output');
  if (!isRecord(out)) throw new SztpError('SZTP_ERR_SERVER_RESPONSE', 'reply lacks ietf-sztp-bootstrap-server:output');
  const ci = out['conveyed-information'];
  if (ci === undefined) throw new SztpError('SZTP_ERR_SERVER_RESPONSE', 'reply lacks conveyed-information');
  const oc = out['owner-certificate'];
  const ov = out['ownership-voucher'];
  const level = out['reporting-level'] ?? 'minimal';
  if (level !== 'minimal' && level !== 'verbose') {
    throw new SztpError('SZTP_ERR_SERVER_RESPONSE', `unknown reporting-level ${JSON.stringify(level)}`);
  }
  const artifacts: BootstrappingArtifacts = {
    conveyedInformation: decodeBase64Field(ci, 'conveyed-information'),
    ...(oc === undefined ? {} : { ownerCertificate: decodeBase64Field(oc, 'owner-certificate') }),
    ...(ov === undefined ? {} : { ownershipVoucher: decodeBase64Field(ov, 'ownership-voucher') }),
  };
  return { artifacts, reportingLevel: level };
}

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : isRecord(v) && typeof v['#text'] === 'string' ? v['#text'] : undefined;

/** Decodes an `ietf-restconf:errors` body; undefined when the body is not one. */
export function parseRestconfErrors(body: string, contentType: string): RestconfErrorEntry[] | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = parseDoc(body, contentType);
  } catch {
    return undefined;
  }
  const errors = member(doc, 'ietf-restconf', 'errors');
  if (!isRecord(errors)) return undefined;
  const list = errors.error;
  if (!Array.isArray(list)) return undefined;
  return list.filter(isRecord).map((e) => {
    const entry: Record<string, string> = {};
    const put = (k: string, v: unknown): void => {
      const t = text(v);
      // Server text: stored, logged and shown inert (no terminal control, no fake lines).
      if (t !== undefined) entry[k] = inert(t);
    };
    put('errorType', e['error-type']);
    put('errorTag', e['error-tag']);
    put('errorAppTag', e['error-app-tag']);
    put('errorPath', e['error-path']);
    put('errorMessage', e['error-message']);
    const info = e['error-info'];
    const out: RestconfErrorEntry = info === undefined ? entry : { ...entry, errorInfo: info };
    return out;
  });
}

/**
 * The RESTCONF root from a host-meta XRD (RFC 8040 §3.1), or undefined. Only a relative href or
 * an absolute one on `origin` itself is accepted: host-meta never sends the device elsewhere (T-28).
 */
export function parseHostMeta(body: string, origin: string): string | undefined {
  let doc: unknown;
  try {
    doc = xml.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(doc) || !isRecord(doc.XRD)) return undefined;
  const links = doc.XRD.Link;
  if (!Array.isArray(links)) return undefined;
  for (const link of links) {
    if (!isRecord(link) || link['@_rel'] !== 'restconf' || typeof link['@_href'] !== 'string') continue;
    let url: URL;
    try {
      url = new URL(link['@_href'], `${origin}/`);
    } catch {
      return undefined;
    }
    if (url.origin !== new URL(origin).origin || url.search !== '' || url.hash !== '') return undefined;
    const path = url.pathname.replace(/\/+$/, '');
    return path === '' ? undefined : path;
  }
  return undefined;
}
