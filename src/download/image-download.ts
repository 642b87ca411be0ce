/**
 * STUB (owned by the bootstrap-server/download work): streaming image download with hashing,
 * mirror fallback and resume. Replace this file.
 * @module
 */
import { SztpError } from '../errors.ts';
import type { DownloadFn } from '../onboarding/types.ts';

export const downloadImage: DownloadFn = () =>
  Promise.reject(new SztpError('SZTP_ERR_DOWNLOAD_FAILED', 'image download not implemented yet'));
