#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript (built by `npm ci` through the root `prepare` script).
import { main } from '../dist/index.js';

// `darklens ... | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv.slice(2));
