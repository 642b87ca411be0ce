/**
 * One test PKI for a whole test file: made before its tests (node:test `before`) and removed
 * after them. `usePki('name', (p) => (pki = p))` stands for the same hooks written out in each file.
 * @module
 */
import { after, before } from 'node:test';
import { makeTestPki, type TestPki } from './pki.ts';
import { makeTempDir, removeTempDir } from './temp-dir.ts';

export function usePki(name: string, set: (pki: TestPki) => void): void {
  let dir: string | undefined;
  before(() => {
    dir = makeTempDir(name);
    set(makeTestPki(dir));
  });
  after(() => {
    if (dir !== undefined) removeTempDir(dir);
  });
}
