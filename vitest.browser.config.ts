import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The browser suite (npm run test:browser): the built page served by the real server, driven in
// Debian's chromium by playwright-core (the page's unit tests in web/src run in the default suite).
// The browser file holds one server and one browser.
export default defineConfig({
  resolve: base.resolve,
  test: {
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
