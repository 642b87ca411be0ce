/**
 * XML conveyed information (RFC 8572 §3.1 id-ct-sztpConveyedInfoXML, §6): parsed with
 * fast-xml-parser (no DTDs, no entity expansion), the namespace of the root element checked, and
 * converted to the RFC 7951 JSON shape so one decoder serves both encodings.
 * @module
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ValidationError } from '../errors.ts';
import { isObject } from './json.ts';
import type { ValidationLimits } from './limits.ts';
import { MODULE } from './decode-conveyed-info.ts';
import { messageOf } from '../lib/error-info.ts';

const S = 'conveyed-information' as const;
export const CONVEYED_NS = 'urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info';
const LISTS = new Set(['bootstrap-server', 'download-uri', 'image-verification']);
const ROOTS = new Set(['onboarding-information', 'redirect-information']);

const decodeErr = (message: string): ValidationError => new ValidationError(S, 'SZTP_ERR_CONVEYED_DECODE', message);
const local = (name: string): string => name.slice(name.indexOf(':') + 1);

function convert(node: unknown, name: string, depth: number, limits: ValidationLimits): unknown {
  if (depth > limits.maxDepth) throw new ValidationError(S, 'SZTP_ERR_LIMIT_EXCEEDED', 'XML nests too deeply');
  if (typeof node === 'string') return name === 'port' && /^\d+$/.test(node) ? Number(node) : node;
  if (!isObject(node)) return node;
  const children = Object.keys(node).filter((k) => !k.startsWith('@_') && k !== '#text');
  if (children.length === 0) {
    const text = node['#text'];
    return convert(typeof text === 'string' ? text : '', name, depth + 1, limits);
  }
  const out: Record<string, unknown> = {};
  for (const k of children) {
    const l = local(k);
    const v = node[k];
    out[l] = LISTS.has(l)
      ? (Array.isArray(v) ? v : [v]).map((x: unknown) => convert(x, l, depth + 1, limits))
      : convert(v, l, depth + 1, limits);
  }
  return out;
}

/** Parses an XML conveyed-information document into the RFC 8572 §6 JSON shape. */
export function xmlToConveyedJson(text: string, limits: ValidationLimits): unknown {
  if (/<!DOCTYPE|<!ENTITY/i.test(text))
    throw decodeErr('XML conveyed information must not contain a DOCTYPE or entity declarations');
  let doc: unknown;
  try {
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@_',
      processEntities: false,
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: true,
      ignoreDeclaration: true,
      ignorePiTags: true,
      isArray: (tagName) => LISTS.has(local(tagName)),
    });
    // Well-formedness first (the parser itself is lenient); the bundled validator is deprecated
    // upstream in favour of a separate package we do not ship, but it is still correct here.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const valid = XMLValidator.validate(text);
    if (valid !== true) throw decodeErr(`conveyed information is not well-formed XML: ${valid.err.msg}`);
    doc = parser.parse(text);
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError(
      S,
      'SZTP_ERR_CONVEYED_DECODE',
      `conveyed information is not well-formed XML: ${messageOf(err)}`,
      { cause: err },
    );
  }
  if (!isObject(doc)) throw decodeErr('XML conveyed information has no root element');
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?') && !k.startsWith('#'));
  const rootName = roots[0];
  if (roots.length !== 1 || rootName === undefined)
    throw decodeErr('XML conveyed information must have exactly one root element');
  const root = doc[rootName];
  const prefix = rootName.includes(':') ? rootName.slice(0, rootName.indexOf(':')) : undefined;
  const attrs = isObject(root) ? root : {};
  const ns = attrs[prefix === undefined ? '@_xmlns' : `@_xmlns:${prefix}`];
  const name = local(rootName);
  if (!ROOTS.has(name))
    throw new ValidationError(
      S,
      'SZTP_ERR_CONVEYED_SCHEMA',
      `XML root element <${rootName}> is neither onboarding-information nor redirect-information`,
    );
  if (ns !== CONVEYED_NS)
    throw new ValidationError(S, 'SZTP_ERR_CONVEYED_SCHEMA', `XML root element is not in namespace ${CONVEYED_NS}`, {
      evidence: { namespace: typeof ns === 'string' ? ns : null },
    });
  const body = convert(root, name, 1, limits);
  return { [`${MODULE}:${name}`]: typeof body === 'string' ? {} : body };
}
