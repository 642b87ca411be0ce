// Typed lint for the whole repository: strict-type-checked on src/, recommended-type-checked elsewhere.
// Import layering of src/ (a lower layer importing a higher one is an error), and pure-core files may
// not import Node I/O modules, so they stay testable without disks or sockets.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeIo = ['fs', 'net', 'dgram', 'child_process', 'http', 'https', 'tls'].flatMap((m) => [
  `node:${m}`,
  `node:${m}/promises`,
  m,
  `${m}/promises`,
]);

// Layers of src/, lowest first. Below all of them: errors.ts, types.ts, contracts/ (the interfaces
// that cross folders), lib/, log/, platform/ and progress/. adapters/ is the lowest layer so that
// config can check adapter settings, but the rooms between config and onboarding must not reach
// the router (state keeps ConfigSnapshot from contracts/, fetchers never touch the router).
const BASE = ['errors', 'types', 'contracts', 'lib', 'log', 'platform', 'progress'];
const LAYERS = [
  ['adapters'],
  ['config'],
  ['state'],
  ['validation'],
  ['dhcp', 'dns', 'bootstrap', 'download', 'bundle'],
  ['fetchers'],
  ['onboarding'],
  ['daemon'],
  ['cli'],
];
const NO_ADAPTERS = ['state', 'validation', 'dhcp', 'dns', 'bootstrap', 'download', 'bundle', 'fetchers'];
const rankOf = (folder) => LAYERS.findIndex((layer) => layer.includes(folder));

/** The no-restricted-imports patterns for code in src/<folder>/ (or src/<folder>.ts). */
function layerPatterns(folder, prefix = '(\\.\\./)+') {
  const forbidden = BASE.includes(folder) ? LAYERS.flat() : LAYERS.slice(rankOf(folder) + 1).flat();
  if (NO_ADAPTERS.includes(folder)) forbidden.push('adapters');
  const names = forbidden.filter((f) => !(folder === 'contracts' && f === 'config'));
  const patterns =
    names.length === 0
      ? []
      : [
          {
            regex: `^${prefix}(${names.join('|')})(/|\\.ts$)`,
            message: `layering: src/${folder} may not import ${names.join(', ')} (eslint.config.js LAYERS)`,
          },
        ];
  // Contracts may name AgentConfig, nothing else of config.
  if (folder === 'contracts')
    patterns.push({
      regex: `^${prefix}config/(?!types\\.ts$)`,
      message: 'layering: src/contracts may import only config/types.ts of config',
    });
  return patterns;
}

const pureCore = { paths: nodeIo.map((name) => ({ name, message: 'pure core: no I/O here' })) };
const PURE_CORE = {
  validation: ['src/validation/**/*.ts'],
  onboarding: ['src/onboarding/plan.ts'],
  state: ['src/state/machine.ts'],
  config: ['src/config/parse.ts'],
  dhcp: ['src/dhcp/codec-*.ts', 'src/dhcp/uri-list.ts'],
  dns: ['src/dns/codec.ts', 'src/dns/txt.ts', 'src/dns/srv.ts'],
};

/** One config per folder (and per pure-core file group, which also bans Node I/O): the import layering rule. */
export const layering = [
  ...[...BASE, ...LAYERS.flat()].flatMap((folder) => [
    {
      files: [`src/${folder}/**/*.ts`],
      rules: { 'no-restricted-imports': ['error', { patterns: layerPatterns(folder) }] },
    },
    {
      files: [`src/${folder}.ts`],
      rules: { 'no-restricted-imports': ['error', { patterns: layerPatterns(folder, '\\./') }] },
    },
  ]),
  ...Object.entries(PURE_CORE).map(([folder, files]) => ({
    files,
    rules: { 'no-restricted-imports': ['error', { ...pureCore, patterns: layerPatterns(folder) }] },
  })),
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layering,
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'fixtures/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
