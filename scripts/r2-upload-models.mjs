#!/usr/bin/env node
// Uploads a model registry (default: the shipped models/) into the Worker's R2 bucket, one
// `wrangler r2 object put` per file under its registry path, registry.json last (so the Worker never
// reads a registry that names a file not yet there). `npm run worker:upload-models -- --help`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uploadPlan, WORKER_CONFIG as CONFIG } from './local-worker.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HELP = `usage: npm run worker:upload-models -- (--remote | --local [--persist-to DIR]) [--bucket NAME] [--models DIR] [--only a,b] [--dry-run]
  --remote       your Cloudflare account's bucket (wrangler login or CLOUDFLARE_API_TOKEN first)
  --local        wrangler dev's local bucket (in functions/.wrangler/state, or --persist-to DIR)
  --bucket       bucket name (default: the one bound as MODELS in functions/wrangler.jsonc)
  --models       registry folder (default: models/)
  --only         only these models (registry.json then lists only them)
  --dry-run      print the uploads, do nothing`;

function fail(message) {
  console.error(`r2-upload-models: ${message}\n${HELP}`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { models: join(ROOT, 'models') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? fail(`${a} needs a value`);
    if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    } else if (a === '--remote' || a === '--local') args.where = a;
    else if (a === '--dry-run') args.dryRun = true;
    else if (a === '--bucket') args.bucket = value();
    else if (a === '--models') args.models = resolve(value());
    else if (a === '--persist-to') args.persistTo = resolve(value());
    else if (a === '--only') args.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else fail(`unknown argument ${a}`);
  }
  if (args.where === undefined) fail('say where: --remote or --local');
  if (args.persistTo !== undefined && args.where !== '--local') fail('--persist-to goes with --local');
  return args;
}

/** The bucket bound as MODELS in wrangler.jsonc (comments stripped: JSONC). */
function configuredBucket() {
  const text = readFileSync(CONFIG, 'utf8').replace(/^\s*\/\/.*$/gm, '');
  const bucket = JSON.parse(text).r2_buckets?.find((b) => b.binding === 'MODELS')?.bucket_name;
  if (typeof bucket !== 'string') fail(`no R2 bucket bound as MODELS in ${CONFIG}`);
  return bucket;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const bucket = args.bucket ?? configuredBucket();
  let plan;
  try {
    plan = uploadPlan(args.models, args.only);
  } catch (e) {
    fail(e.message);
  }
  const wrangler = join(ROOT, 'node_modules', '.bin', 'wrangler');
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' };
  if (args.where === '--local') {
    env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
    delete env.CLOUDFLARE_API_TOKEN;
  }
  for (const [i, step] of plan.entries()) {
    const where = [args.where, ...(args.persistTo === undefined ? [] : ['--persist-to', args.persistTo])];
    const source = step.file === undefined ? ['--pipe'] : ['--file', step.file];
    const cmd = ['r2', 'object', 'put', `${bucket}/${step.key}`, ...source, ...where, '--config', CONFIG];
    console.log(`[${i + 1}/${plan.length}] ${bucket}/${step.key}`);
    if (args.dryRun) continue;
    execFileSync(wrangler, cmd, { env, input: step.text, stdio: [step.text === undefined ? 'ignore' : 'pipe', 'ignore', 'inherit'] });
  }
  console.log(args.dryRun ? 'dry run: nothing uploaded' : `uploaded ${plan.length} objects to ${args.where === '--remote' ? '' : 'local '}bucket ${bucket}`);
}

main();
