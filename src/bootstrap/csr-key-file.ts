/**
 * File-backed CsrKeyStore (RFC 9646 ): the private key generated for a CSR is kept in
 * `<dir>/csr-key.pk8` (PKCS#8 DER, mode 0600, written atomically) with the CSR beside it, so the
 * LDevID certificate that onboarding installs later has its key; a new csr-request discards the
 * previous key first, and `sztp-agent reset` removes the directory with the rest of the state.
 * @module
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/fs-atomic.ts';
import type { CsrKeyStore } from './csr.ts';

export function createCsrKeyFileStore(dir: string): CsrKeyStore {
  const keyPath = join(dir, 'csr-key.pk8');
  const csrPath = join(dir, 'csr.der');
  return {
    async save({ privateKeyPkcs8, csr }) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(keyPath, privateKeyPkcs8, 0o600);
      await writeFileAtomic(csrPath, csr, 0o600);
    },
    async discard() {
      await rm(keyPath, { force: true });
      await rm(csrPath, { force: true });
    },
  };
}
