/**
 * Builds the `onboarding-information` document of RFC 8572 §6 (JSON, RFC 7951 encoding) from
 * operator inputs: configuration + configuration-handling, pre/post scripts (base64), boot image
 * (os-name, os-version, download-uri list, sha-256 hash-value as colon hex).
 * @module
 */
import type { ConfigurationHandling } from '../types.ts';

export interface BootImageInput {
  readonly osName?: string;
  readonly osVersion?: string;
  readonly downloadUris: readonly string[];
  /** SHA-256 of the image. */
  readonly sha256?: Uint8Array;
}

export interface OnboardingInput {
  readonly configuration?: Uint8Array;
  readonly configurationHandling?: ConfigurationHandling;
  readonly preConfigurationScript?: Uint8Array;
  readonly postConfigurationScript?: Uint8Array;
  readonly bootImage?: BootImageInput;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** `aa:bb:…` lowercase (yang:hex-string). */
export const colonHex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** The conveyed-information JSON document for `input`. */
export function onboardingDocument(input: OnboardingInput): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const bi = input.bootImage;
  if (bi !== undefined) {
    const img: Record<string, unknown> = {};
    if (bi.osName !== undefined) img['os-name'] = bi.osName;
    if (bi.osVersion !== undefined) img['os-version'] = bi.osVersion;
    if (bi.downloadUris.length > 0) img['download-uri'] = [...bi.downloadUris];
    if (bi.sha256 !== undefined)
      img['image-verification'] = [
        { 'hash-algorithm': 'ietf-sztp-conveyed-info:sha-256', 'hash-value': colonHex(bi.sha256) },
      ];
    o['boot-image'] = img;
  }
  if (input.configuration !== undefined) {
    o['configuration-handling'] = input.configurationHandling ?? 'merge';
  }
  if (input.preConfigurationScript !== undefined) o['pre-configuration-script'] = b64(input.preConfigurationScript);
  if (input.configuration !== undefined) o.configuration = b64(input.configuration);
  if (input.postConfigurationScript !== undefined) o['post-configuration-script'] = b64(input.postConfigurationScript);
  return { 'ietf-sztp-conveyed-info:onboarding-information': o };
}
