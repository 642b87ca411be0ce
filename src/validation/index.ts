/**
 * The library entry point `sztp-agent/validation` (package.json `exports`): the RFC 8572 §5.4
 * trust pipeline for operators' own tooling, e.g. a bootstrap server that checks a bundle before
 * serving it. `sztp-agent verify` and the daemon call the same `validateBootstrappingData`.
 * Usage and the error contract: docs/trust.md, "Library: sztp-agent/validation".
 * @module
 */
export { validateBootstrappingData, type ValidateOptions } from './pipeline.ts';
export { CheckLog, type CheckRecord, type CheckStatus } from './trace.ts';
export { DEFAULT_LIMITS, type ValidationLimits } from './limits.ts';
export { ValidationError, isSztpError, type SztpErrorCode, type ValidationStep } from '../errors.ts';
export type {
  BootImage,
  BootstrapServerEntry,
  BootstrappingArtifacts,
  DeviceCredentials,
  ImageVerification,
  OnboardingInformation,
  RedirectInformation,
  TrustContext,
  TrustPolicy,
  ValidatedConveyedInformation,
} from '../types.ts';
