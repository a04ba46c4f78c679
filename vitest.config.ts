import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests import workspace packages from source, so they exercise the code as written, not a stale build.
export default defineConfig({
  resolve: {
    alias: {
      '@darklens/core': src('./core/src/index.ts'),
      '@darklens/training': src('./training/src/index.ts'),
      '@darklens/functions/node': src('./functions/src/node/index.ts'),
      '@darklens/functions/lambda': src('./functions/src/lambda/index.ts'),
      '@darklens/functions/workers': src('./functions/src/workers/index.ts'),
      '@darklens/functions': src('./functions/src/app/index.ts'),
      '@darklens/cli/deploy': src('./cli/src/deploy/index.ts'),
    },
  },
  test: {
    include: ['core/src/**/*.test.ts', 'training/src/**/*.test.ts', 'functions/src/**/*.test.ts', 'cli/src/**/*.test.ts', 'web/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/browser/**', '**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    testTimeout: 60_000,
    // Set-ups that simulate data, start workerd or load models run long on a busy 2-core machine.
    hookTimeout: 120_000,
  },
});
