/**
 * `npm run gen`: regenerates the files derived from the ztp.ini schema (src/config/schema.ts):
 * ztp.ini.example and the README's ztp.ini reference table. test/unit/config/render.test.ts fails
 * when either is out of date.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderExample, renderReferenceTable } from '../src/config/render.ts';

const root = join(import.meta.dirname, '..');
const BLOCK = /(<!-- BEGIN ztp\.ini reference[^>]*-->\n)[\s\S]*?(\n<!-- END ztp\.ini reference -->)/;

writeFileSync(join(root, 'ztp.ini.example'), renderExample());
const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
if (!BLOCK.test(readme)) throw new TypeError('README.md lacks the <!-- BEGIN/END ztp.ini reference --> block');
writeFileSync(
  readmePath,
  readme.replace(BLOCK, (_m, begin: string, end: string) => `${begin}${renderReferenceTable()}${end}`),
);
process.stdout.write('regenerated ztp.ini.example and the README ztp.ini reference\n');
