/**
 * STUB (owned by the trust-pipeline work): RFC 8572 §5.4 three-step validation. Replace this file.
 * @module
 */
import { SztpError } from '../errors.ts';
import type { ValidateFn } from '../types.ts';

export const validateBootstrappingData: ValidateFn = () =>
  Promise.reject(new SztpError('SZTP_ERR_FETCHER_UNAVAILABLE', 'validation not implemented yet'));
