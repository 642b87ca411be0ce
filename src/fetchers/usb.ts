/**
 * STUB: the USB fetcher. Replace this file; keep the export name.
 * @module
 */
import { SztpError } from '../errors.ts';
import type { Fetcher } from './fetcher.ts';

export function createUsbFetcher(): Fetcher {
  return { name: 'USB', fetch: () => Promise.reject(new SztpError('SZTP_ERR_FETCHER_UNAVAILABLE', 'USB fetcher not implemented yet')) };
}
