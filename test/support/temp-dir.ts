/**
 * Temporary directories for tests: one place that names them (`sztp-<name>-XXXXXX` under the
 * system temp dir) and, given a test context, removes them when the test ends.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A new empty directory `sztp-<name>-XXXXXX`; the caller removes it (see removeTempDir). */
export function makeTempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `sztp-${name}-`));
}

/** Removes a directory made by makeTempDir (missing is fine). */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A new directory removed after the test `t` (or suite) ends. */
export function tempDir(t: Pick<TestContext, 'after'>, name: string): string {
  const dir = makeTempDir(name);
  t.after(() => {
    removeTempDir(dir);
  });
  return dir;
}
