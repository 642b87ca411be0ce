/**
 * STUB: the Server fetcher. Replace this file; keep the export name.
 * @module
 */
import { SztpError } from '../errors.ts';
import type { Fetcher } from './fetcher.ts';

export function createServerFetcher(): Fetcher {
  return { name: 'Server', fetch: () => Promise.reject(new SztpError('SZTP_ERR_FETCHER_UNAVAILABLE', 'Server fetcher not implemented yet')) };
}
