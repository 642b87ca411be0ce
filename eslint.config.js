// Typed lint for the whole repository: strict-type-checked on src/, recommended-type-checked elsewhere.
// Pure-core folders may not import Node I/O modules, so they stay testable without disks or sockets.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeIo = ['fs', 'net', 'dgram', 'child_process', 'http', 'https', 'tls']
  .flatMap((m) => [`node:${m}`, `node:${m}/promises`, m, `${m}/promises`]);

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
  {
    files: ['src/validation/**/*.ts', 'src/onboarding/plan.ts', 'src/state/machine.ts', 'src/config/parse.ts', 'src/dhcp/codec-*.ts', 'src/dhcp/uri-list.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: nodeIo.map((name) => ({ name, message: 'pure core: no I/O here' })) }] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'fixtures/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
