/**
 * The onboarding plan (RFC 8572 §5.6, C-110): pure function from validated onboarding information,
 * the journal of an earlier attempt on the same conveyed information, and the running identity
 * to the ordered list of steps still to run. Each step is a member of a discriminated union;
 * apply.ts holds one executor per kind in a mapped type, so a new kind without an executor does
 * not compile. No I/O here, so the plan is testable without a router (enforced by lint).
 * @module
 */
import type { AdapterCapability } from '../adapters/router-adapter.ts';
import { SztpError } from '../errors.ts';
import type { OnboardingJournal, OnboardingStepKind } from '../state/types.ts';
import type {
  BootImage,
  ConfigurationHandling,
  RunningIdentity,
  HashAlgorithm,
  OnboardingInformation,
} from '../types.ts';

/** What the boot-image step will do, decided from the running identity and the journal. */
export type BootImageDecision =
  /** The running image satisfies the image (criteria or hash): no download (`boot-image-complete`). */
  | 'skip'
  /** Download (or reuse the verified kept image), verify, install, reboot. */
  | 'install'
  /** An install already happened for this conveyed information and the device still mismatches (T-22). */
  | 'reboot-loop';

/**
 * What the decision rests on: `criteria` (os-name/os-version), `hash` (no criteria; the adapter's
 * digest of the running image compared with image-verification), `installed` (no criteria, no
 * digest, and this image was installed and rebooted into), `policy` (no criteria, no digest:
 * `[Onboarding] image_without_criteria`).
 */
export type BootImageBasis = 'criteria' | 'hash' | 'installed' | 'policy';

/** The running image's digest as the adapter reported it (no criteria only). */
export interface RunningImageDigest {
  readonly algorithm: HashAlgorithm;
  /** Lowercase hex; undefined when the adapter cannot tell. */
  readonly hex: string | undefined;
}

export type OnboardingStep =
  | {
      readonly kind: 'boot-image';
      readonly image: BootImage;
      readonly decision: BootImageDecision;
      readonly basis: BootImageBasis;
      readonly runningDigest?: RunningImageDigest;
    }
  | { readonly kind: 'pre-script'; readonly script: Uint8Array }
  | { readonly kind: 'config'; readonly mode: ConfigurationHandling; readonly configuration: Uint8Array }
  | { readonly kind: 'post-script'; readonly script: Uint8Array };

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** The RFC order of the steps (C-110). */
export const STEP_ORDER: readonly OnboardingStepKind[] = ['boot-image', 'pre-script', 'config', 'post-script'];

/** Strips the module prefix of an identityref (`ietf-sztp-conveyed-info:sha-256` → `sha-256`), lowercased. */
function algorithmName(identity: string): string {
  const i = identity.lastIndexOf(':');
  return (i < 0 ? identity : identity.slice(i + 1)).toLowerCase();
}

const SUPPORTED: readonly HashAlgorithm[] = ['sha-256', 'sha-512'];
const DIGEST_LENGTH: Readonly<Record<HashAlgorithm, number>> = { 'sha-256': 32, 'sha-512': 64 };

/** The image-verification entries the agent can check (sha-256, sha-512 with the right length). */
export function supportedVerifiers(
  image: BootImage,
): { readonly algorithm: HashAlgorithm; readonly value: Uint8Array }[] {
  const out: { algorithm: HashAlgorithm; value: Uint8Array }[] = [];
  for (const v of image.imageVerification) {
    const name = algorithmName(v.hashAlgorithm);
    const algorithm = SUPPORTED.find((a) => a === name);
    if (algorithm !== undefined && v.hashValue.length === DIGEST_LENGTH[algorithm])
      out.push({ algorithm, value: v.hashValue });
  }
  return out;
}

/** RFC 8572 §5.6 step 3: the running OS satisfies the criteria when every present leaf matches. */
export function imageSatisfied(image: BootImage, running: RunningIdentity): boolean {
  if (image.osName !== undefined && image.osName !== running.osName) return false;
  if (image.osVersion !== undefined && image.osVersion !== running.osVersion) return false;
  return true;
}

/** True when the image names neither os-name nor os-version (every SZTPD boot image). */
export function hasNoCriteria(image: BootImage): boolean {
  return image.osName === undefined && image.osVersion === undefined;
}

/** The supported verifier to compare a running image against: sha-256 first, else sha-512. */
export function digestAlgorithm(image: BootImage): HashAlgorithm | undefined {
  const algorithms = supportedVerifiers(image).map((v) => v.algorithm);
  return algorithms.includes('sha-256') ? 'sha-256' : algorithms[0];
}

/** What to do with an image without criteria when the running image's digest is unknown. */
export type ImageWithoutCriteria = 'install' | 'skip';

/**
 * Decides the boot-image step. With os-name/os-version: match → skip; mismatch after an install
 * for this data → reboot-loop, else install. Without them (docs/onboarding.md): the running
 * image's digest decides when the adapter reports it (equal → skip; different → install, or
 * reboot-loop after an install); otherwise an image installed and rebooted into counts as running,
 * and before that `policy` says install or skip.
 */
export function decideBootImage(
  image: BootImage,
  running: RunningIdentity,
  journal: OnboardingJournal | undefined,
  runningDigest?: RunningImageDigest,
  policy: ImageWithoutCriteria = 'install',
): { decision: BootImageDecision; basis: BootImageBasis } {
  const record = journal?.bootImage;
  const installed = record !== undefined && record.installAttempts > 0 && record.rebootRequestedAt !== undefined;
  if (!hasNoCriteria(image)) {
    if (imageSatisfied(image, running)) return { decision: 'skip', basis: 'criteria' };
    return { decision: installed ? 'reboot-loop' : 'install', basis: 'criteria' };
  }
  if (runningDigest?.hex !== undefined) {
    const offered = supportedVerifiers(image).find((v) => v.algorithm === runningDigest.algorithm);
    if (offered !== undefined && hex(offered.value) === runningDigest.hex.toLowerCase())
      return { decision: 'skip', basis: 'hash' };
    return { decision: installed ? 'reboot-loop' : 'install', basis: 'hash' };
  }
  if (installed) return { decision: 'skip', basis: 'installed' };
  return { decision: policy, basis: 'policy' };
}

/**
 * The reboot-loop guard (T-22) outlives the journal it was recorded in: a journal for other
 * conveyed-information bytes (a server that signs or encrypts each response anew sends different
 * bytes for the same data) is dropped before this attempt, but an install it recorded for the
 * same image must still count. Same image: a sha-256 verifier equal to the installed image's
 * hash, or, when no sha-256 verifier is offered, the same os-name/os-version criteria. The kept
 * file's path is not carried (the stale rollback deletes it).
 */
export function carriedBootImage(
  stale: OnboardingJournal | undefined,
  image: BootImage | undefined,
): OnboardingJournal['bootImage'] {
  const rec = stale?.bootImage;
  if (rec === undefined || image === undefined || rec.installAttempts === 0 || rec.rebootRequestedAt === undefined)
    return undefined;
  const sha256 = supportedVerifiers(image)
    .filter((v) => v.algorithm === 'sha-256')
    .map((v) => hex(v.value));
  const same =
    sha256.length > 0 ? sha256.includes(rec.sha256) : rec.osName === image.osName && rec.osVersion === image.osVersion;
  if (!same) return undefined;
  const { path: _dropped, ...kept } = rec;
  return kept;
}

/**
 * Plans the steps still to run, in RFC order, leaving out steps absent from the onboarding
 * information and steps the journal records as completed for this same conveyed information.
 * Throws SZTP_ERR_CONVEYED_SCHEMA when configuration and configuration-handling do not come as a
 * pair (YANG `must`, AT-49), so the applier reports `parsing-error`.
 */
export function planOnboarding(
  info: OnboardingInformation,
  journal: OnboardingJournal | undefined,
  running: RunningIdentity,
  runningDigest?: RunningImageDigest,
  policy: ImageWithoutCriteria = 'install',
): OnboardingStep[] {
  if ((info.configuration === undefined) !== (info.configurationHandling === undefined)) {
    throw new SztpError(
      'SZTP_ERR_CONVEYED_SCHEMA',
      'configuration and configuration-handling must be present together',
    );
  }
  const done = new Set<OnboardingStepKind>(journal?.completedSteps ?? []);
  const present: Readonly<Record<OnboardingStepKind, () => OnboardingStep | undefined>> = {
    'boot-image': () => {
      if (info.bootImage === undefined) return undefined;
      const { decision, basis } = decideBootImage(info.bootImage, running, journal, runningDigest, policy);
      return {
        kind: 'boot-image',
        image: info.bootImage,
        decision,
        basis,
        ...(runningDigest === undefined ? {} : { runningDigest }),
      };
    },
    'pre-script': () =>
      info.preConfigurationScript === undefined
        ? undefined
        : { kind: 'pre-script', script: info.preConfigurationScript },
    config: () =>
      info.configuration === undefined || info.configurationHandling === undefined
        ? undefined
        : { kind: 'config', mode: info.configurationHandling, configuration: info.configuration },
    'post-script': () =>
      info.postConfigurationScript === undefined
        ? undefined
        : { kind: 'post-script', script: info.postConfigurationScript },
  };
  return STEP_ORDER.filter((kind) => !done.has(kind)).flatMap((kind) => present[kind]() ?? []);
}

/** What the router adapter must be able to do for `steps` (a boot image that is skipped needs nothing). */
export function requiredCapabilities(steps: readonly OnboardingStep[]): AdapterCapability[] {
  const needs: AdapterCapability[] = [];
  for (const step of steps) {
    if (step.kind === 'boot-image' && step.decision === 'install') needs.push('install-image', 'reboot');
    if (step.kind === 'pre-script' || step.kind === 'post-script') needs.push('run-script');
    if (step.kind === 'config') needs.push(step.mode === 'merge' ? 'commit-merge' : 'commit-replace');
  }
  return [...new Set(needs)];
}
