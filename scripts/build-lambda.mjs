#!/usr/bin/env node
// The AWS Lambda deployment artifact, offline: `npm run build:lambda [-- --out DIR]` (default out/lambda).
//
//   DIR/index.mjs                the handler (functions/src/lambda/main.ts) and every dependency in one
//                                ES module (rolldown), except onnxruntime-node, which loads a native binary
//   DIR/node_modules/            onnxruntime-node with only its linux-x64 binary (Lambda runs x86_64:
//                                onnxruntime aborts on arm64 Lambda), and onnxruntime-common
//   DIR/models/                  the shipped registry, for a function deployed without a models bucket
//   DIR.zip                      the same, zipped as Lambda takes it
//   DIR.json                     sizes (unzipped, zipped, by part) for the README and the bench
//
// Handlers: index.handler (buffered) and index.stream (function URL, RESPONSE_STREAM). Needs the
// packages built (npx tsc -b; the npm script runs it first).
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { build } from 'rolldown';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, 'functions', 'dist', 'lambda', 'main.js');
const ORT = join(ROOT, 'node_modules', 'onnxruntime-node');
/** Lambda's limit on a function's unzipped code (layers included). */
const UNZIPPED_LIMIT = 250 * 1e6;

function parseArgs(argv) {
  let out = join(ROOT, 'out', 'lambda');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = resolve(argv[++i]);
    else if (argv[i] === '--help') {
      process.stdout.write('usage: npm run build:lambda [-- --out DIR]   (default out/lambda; also writes DIR.zip and DIR.json)\n');
      process.exit(0);
    } else {
      process.stderr.write(`build-lambda: unknown argument '${argv[i]}'\n`);
      process.exit(2);
    }
  }
  return { out };
}

async function files(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(full)));
    else if (e.isFile()) out.push(full);
  }
  return out;
}

async function sizeOf(dir) {
  let n = 0;
  for (const f of await files(dir)) n += (await stat(f)).size;
  return n;
}

async function main() {
  const { out } = parseArgs(process.argv.slice(2));
  if (!existsSync(ENTRY)) {
    process.stderr.write(`build-lambda: ${relative(ROOT, ENTRY)} is missing: run npx tsc -b first\n`);
    process.exit(2);
  }
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });

  // 1. The handler bundle. CommonJS dependencies (the AWS SDK's) require Node built-ins: give the ES
  // module a require of its own.
  await build({
    input: ENTRY,
    platform: 'node',
    external: ['onnxruntime-node'],
    logLevel: 'warn',
    output: {
      file: join(out, 'index.mjs'),
      format: 'esm',
      minify: true,
      codeSplitting: false, // one file: the AWS SDK's lazily imported credential providers included
      banner: "import { createRequire as __darklensCreateRequire } from 'node:module'; const require = __darklensCreateRequire(import.meta.url);",
    },
  });

  // 2. onnxruntime-node for linux-x64 only (its package holds every platform's binaries: 288 MB).
  const ortOut = join(out, 'node_modules', 'onnxruntime-node');
  await mkdir(ortOut, { recursive: true });
  await cp(join(ORT, 'package.json'), join(ortOut, 'package.json'));
  await cp(join(ORT, 'dist'), join(ortOut, 'dist'), { recursive: true });
  await cp(join(ORT, 'bin', 'napi-v6', 'linux', 'x64'), join(ortOut, 'bin', 'napi-v6', 'linux', 'x64'), { recursive: true });
  const common = [join(ORT, 'node_modules', 'onnxruntime-common'), join(ROOT, 'node_modules', 'onnxruntime-common')].find((d) => existsSync(d));
  for (const part of ['package.json', 'dist']) await cp(join(common, part), join(out, 'node_modules', 'onnxruntime-common', part), { recursive: true });

  // 3. The shipped registry (what the function serves when no bucket is configured).
  const models = join(ROOT, 'models');
  await cp(models, join(out, 'models'), { recursive: true, filter: (src) => !src.endsWith('README.md') });

  // 4. The zip Lambda takes, and the sizes.
  const entries = {};
  for (const f of await files(out)) entries[relative(out, f).split('\\').join('/')] = [await readFile(f), { level: 6 }];
  const zip = zipSync(entries);
  await writeFile(`${out}.zip`, zip);
  const sizes = {
    unzippedBytes: await sizeOf(out),
    zippedBytes: zip.length,
    parts: {
      handler: (await stat(join(out, 'index.mjs'))).size,
      onnxruntime: await sizeOf(join(out, 'node_modules')),
      models: await sizeOf(join(out, 'models')),
    },
    unzippedLimitBytes: UNZIPPED_LIMIT,
    builtAt: new Date().toISOString(),
  };
  await writeFile(`${out}.json`, `${JSON.stringify(sizes, null, 2)}\n`);
  const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
  process.stdout.write(
    `lambda artifact: ${relative(ROOT, out) || out}/ ${mb(sizes.unzippedBytes)} unzipped (limit ${mb(UNZIPPED_LIMIT)}), ${mb(sizes.zippedBytes)} zipped; ` +
      `handler ${mb(sizes.parts.handler)}, onnxruntime ${mb(sizes.parts.onnxruntime)}, models ${mb(sizes.parts.models)}\n`,
  );
  if (sizes.unzippedBytes > UNZIPPED_LIMIT) {
    process.stderr.write('build-lambda: the artifact is over Lambda\'s 250 MB unzipped limit\n');
    process.exit(1);
  }
}

await main();
