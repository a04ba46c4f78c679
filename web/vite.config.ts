/**
 * The web page builds to plain static files in web/dist (served by `darklens serve` at /, or by any
 * static host beside the API). Relative asset paths so the page works under any path prefix.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  // core from source, as the tests use it: the page never bundles a stale build of it.
  resolve: { alias: { '@darklens/core': fileURLToPath(new URL('../core/src/index.ts', import.meta.url)) } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The page is small; a report of every chunk's gzip size costs time on every install.
    reportCompressedSize: false,
    chunkSizeWarningLimit: 300,
  },
  server: {
    // `npm run dev -w web` beside `npm start`: the API calls go to the real server.
    proxy: { '/v1': 'http://localhost:8787' },
  },
});
