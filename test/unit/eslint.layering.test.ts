/**
 * The import layering of src/ (eslint.config.js `layering`): a lower layer importing a higher one
 * is a lint error, the permitted directions are not, and the pure-core files still may not import
 * Node I/O. Runs ESLint's Linter with the repository's own layering configs on probe sources.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const root = join(import.meta.dirname, '..', '..');
const configModule = pathToFileURL(join(root, 'eslint.config.js')).href;
const { layering } = (await import(configModule)) as { layering: Linter.Config[] };
const linter = new Linter({ configType: 'flat', cwd: root });
const config: Linter.Config[] = [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...layering];

/** The layering messages for `source` placed at `file` (relative to the repository). */
function problems(file: string, source: string): string[] {
  return linter
    .verify(source, config, { filename: join(root, file) })
    .map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

const cases: readonly [file: string, source: string, allowed: boolean][] = [
  // Lower layers importing higher ones.
  ['src/state/probe.ts', "import { loadAdapter } from '../adapters/registry.ts';", false],
  ['src/download/probe.ts', "import type { ApplyDeps } from '../onboarding/types.ts';", false],
  ['src/validation/cms/probe.ts', "import { createUsbFetcher } from '../../fetchers/usb.ts';", false],
  ['src/bootstrap/probe.ts', "import type { Fetcher } from '../fetchers/registry.ts';", false],
  ['src/fetchers/probe.ts', "import { applyOnboarding } from '../onboarding/apply.ts';", false],
  ['src/fetchers/probe.ts', "import type { RouterAdapter } from '../adapters/router-adapter.ts';", false],
  ['src/onboarding/probe.ts', "import { runAgent } from '../daemon/run-agent.ts';", false],
  ['src/daemon/probe.ts', "export { runCommand } from '../cli/run.ts';", false],
  ['src/config/probe.ts', "import type { AgentState } from '../state/types.ts';", false],
  ['src/adapters/probe.ts', "import type { AgentConfig } from '../config/types.ts';", false],
  ['src/platform/probe.ts', "import { parseConfig } from '../config/parse.ts';", false],
  ['src/contracts/probe.ts', "import { parseConfig } from '../config/parse.ts';", false],
  ['src/errors.ts', "import { EXIT } from './cli/context.ts';", false],
  // Permitted directions.
  ['src/cli/probe.ts', "import { runAgent } from '../daemon/run-agent.ts';", true],
  ['src/daemon/probe.ts', "import { createFetchers } from '../fetchers/registry.ts';", true],
  ['src/fetchers/probe.ts', "import { decodeV4 } from '../dhcp/codec-v4.ts';", true],
  ['src/onboarding/probe.ts', "import type { RouterAdapter } from '../adapters/router-adapter.ts';", true],
  ['src/config/probe.ts', "import { builtinAdapters } from '../adapters/registry.ts';", true],
  ['src/state/probe.ts', "import type { ConfigSnapshot } from '../contracts/config-snapshot.ts';", true],
  ['src/validation/cms/probe.ts', "import { OID } from '../oids.ts';", true],
  ['src/contracts/probe.ts', "import type { AgentConfig } from '../config/types.ts';", true],
  ['src/cli.ts', "import { runCli } from './cli/program.ts';", true],
];

for (const [file, source, allowed] of cases) {
  test(`layering: ${file}: ${source} is ${allowed ? 'allowed' : 'a lint error'}`, () => {
    const found = problems(file, source);
    if (allowed) assert.deepEqual(found, []);
    else {
      assert.equal(found.length, 1, found.join('\n'));
      assert.match(found[0] ?? '', /^no-restricted-imports: .* layering: src\/[a-z]+ may (not import|import only) /);
    }
  });
}

test('layering: pure-core files still may not import Node I/O, and keep their layer', () => {
  assert.deepEqual(problems('src/validation/probe.ts', "import { readFile } from 'node:fs/promises';"), [
    "no-restricted-imports: 'node:fs/promises' import is restricted from being used. pure core: no I/O here",
  ]);
  assert.match(
    problems('src/onboarding/plan.ts', "import { runAgent } from '../daemon/run-agent.ts';").join(),
    /layering: src\/onboarding/,
  );
  assert.deepEqual(problems('src/onboarding/apply.ts', "import { readFile } from 'node:fs/promises';"), []);
});
