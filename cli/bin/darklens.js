#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript (built by `npm ci` through the root `prepare` script).
import { main } from '../dist/index.js';

process.exitCode = await main(process.argv.slice(2));
