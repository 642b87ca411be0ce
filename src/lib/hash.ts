/**
 * Streaming file digests in constant memory (boot images are large): the one way the agent and
 * the `bundle` command hash a file.
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export type FileHashAlgorithm = 'sha256' | 'sha512';

/** The digest of the file at `path`; rejects when it cannot be read. */
export async function hashFile(path: string, algorithm: FileHashAlgorithm = 'sha256'): Promise<Buffer> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest();
}
