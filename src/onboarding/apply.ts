/**
 * STUB (owned by the onboarding work): runs validated onboarding information through the router
 * adapter in RFC 8572 §5.6 order. Replace this file.
 * @module
 */
import { SztpError } from '../errors.ts';
import type { OnboardingSource } from '../fetchers/fetcher.ts';
import type { ApplyDeps, ApplyOutcome } from './types.ts';

export function applyOnboarding(_source: OnboardingSource, _deps: ApplyDeps): Promise<ApplyOutcome> {
  return Promise.reject(new SztpError('SZTP_ERR_FETCHER_UNAVAILABLE', 'onboarding applier not implemented yet'));
}
