/**
 * The RFC 8572 §7 `progress-type` enumeration, exactly as sent in `report-progress`, plus which
 * values terminate a bootstrapping attempt. Every stage transition of the agent emits one of these.
 * @module
 */

export const PROGRESS_TYPES = [
  'bootstrap-initiated',
  'parsing-initiated',
  'parsing-warning',
  'parsing-error',
  'parsing-complete',
  'boot-image-initiated',
  'boot-image-warning',
  'boot-image-error',
  'boot-image-mismatch',
  'boot-image-installed-rebooting',
  'boot-image-complete',
  'pre-script-initiated',
  'pre-script-warning',
  'pre-script-error',
  'pre-script-complete',
  'config-initiated',
  'config-warning',
  'config-error',
  'config-complete',
  'post-script-initiated',
  'post-script-warning',
  'post-script-error',
  'post-script-complete',
  'bootstrap-warning',
  'bootstrap-error',
  'bootstrap-complete',
  'informational',
] as const;

/** One RFC 8572 progress-type identifier. */
export type ProgressType = (typeof PROGRESS_TYPES)[number];

/** Reports after which the device stops talking to the server for this attempt (RFC 8572 §5.6). */
export const TERMINATING_PROGRESS_TYPES: ReadonlySet<ProgressType> = new Set<ProgressType>([
  'parsing-error',
  'boot-image-error',
  'boot-image-installed-rebooting',
  'pre-script-error',
  'config-error',
  'post-script-error',
  'bootstrap-error',
  'bootstrap-complete',
]);

/** Reports that must be sent at reporting-level `minimal` (the errors only when they occur). */
export const MINIMAL_PROGRESS_TYPES: ReadonlySet<ProgressType> = new Set<ProgressType>([
  'bootstrap-initiated',
  ...TERMINATING_PROGRESS_TYPES,
]);

export function isProgressType(value: string): value is ProgressType {
  return (PROGRESS_TYPES as readonly string[]).includes(value);
}
