// Lint config: typescript-eslint's recommended type-aware rules on every package's sources and tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // sst.config.ts needs SST's generated types (.sst/platform): npm run typecheck:sst checks it.
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'out/**', 'test-artifacts/**', '.sst/**', 'sst.config.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.check.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The app runs on Node, Lambda and Workers alike: Web-standard APIs only.
    files: ['functions/src/app/**/*.ts'],
    ignores: ['functions/src/app/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*'], message: 'the app must stay runtime-agnostic; Node APIs belong in functions/src/node' }] }],
      'no-restricted-globals': ['error', { name: 'process', message: 'runtime-agnostic app: take settings from the adapter' }, { name: 'Buffer', message: 'use Uint8Array' }],
    },
  },
  {
    // The training loop draws nothing: pictures come from the caller's checkpoint hook (train.ts
    // composes the default one, report/loss-curve-hook.ts).
    files: ['training/src/train/**/*.ts'],
    ignores: ['training/src/train/train.ts', 'training/src/train/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/report/*'], message: 'the training loop draws nothing: return pictures from a checkpoint hook' }] }],
    },
  },
  {
    // The web page: its own tsconfig (DOM, JSX, bundler resolution); browser code only, and the API's
    // types may come from the functions package but never its code (type-only imports).
    files: ['web/src/**/*.ts', 'web/src/**/*.tsx'],
    languageOptions: { parserOptions: { project: ['./web/tsconfig.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*'], message: 'the web page runs in browsers' }, { group: ['@darklens/functions', '@darklens/functions/*'], allowTypeImports: true, message: 'only types may come from the server (import type)' }] }],
      'no-restricted-globals': ['error', { name: 'process', message: 'browser code: use import.meta.env' }, { name: 'Buffer', message: 'browser code: use Uint8Array' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { project: false, projectService: false, program: null },
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
);
