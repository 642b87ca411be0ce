/**
 * STUB (owned by the bootstrap-server work): RESTCONF client following redirect information.
 * Replace this file; keep the export names.
 * @module
 */
import { SztpError } from '../errors.ts';
import type { BootstrapClient } from '../fetchers/fetcher.ts';

export function createBootstrapClient(): BootstrapClient {
  return {
    followRedirect: () => Promise.reject(new SztpError('SZTP_ERR_FETCHER_UNAVAILABLE', 'bootstrap-server client not implemented yet')),
  };
}
