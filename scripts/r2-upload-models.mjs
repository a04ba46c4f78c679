#!/usr/bin/env node
// Uploads a model registry (default: the shipped models/) into the Worker's R2 bucket, one
// `wrangler r2 object put` per file under its registry path, registry.json last (so the Worker never
// reads a registry that names a file not yet there); --delete removes them again (registry.json
// first). `npm run worker:upload-models -- --help`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uploadPlan, WORKER_CONFIG as CONFIG } from './local-worker.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HELP = `usage: npm run worker:upload-models -- (--remote | --local [--persist-to DIR]) [--bucket NAME] [--models DIR] [--only a,b] [--delete] [--dry-run]
  --remote       your Cloudflare account's bucket (wrangler login or CLOUDFLARE_API_TOKEN first)
  --local        wrangler dev's local bucket (in functions/.wrangler/state, or --persist-to DIR)
  --bucket       bucket name (default: the one bound as MODELS in functions/wrangler.jsonc)
  --models       registry folder (default: models/)
  --only         only these models (registry.json then lists only them)
  --delete       delete those objects instead, registry.json first (to tear down: then the bucket is empty)
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
    else if (a === '--delete') args.delete = true;
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
  // Deleting goes the other way round: registry.json first, so the Worker never reads a registry naming a deleted file.
  if (args.delete) plan.reverse();
  const where = [args.where, ...(args.persistTo === undefined ? [] : ['--persist-to', args.persistTo])];
  for (const [i, step] of plan.entries()) {
    const source = args.delete ? [] : step.file === undefined ? ['--pipe'] : ['--file', step.file];
    const cmd = ['r2', 'object', args.delete ? 'delete' : 'put', `${bucket}/${step.key}`, ...source, ...where, '--config', CONFIG];
    console.log(`[${i + 1}/${plan.length}] ${args.delete ? 'delete ' : ''}${bucket}/${step.key}`);
    if (args.dryRun) continue;
    const input = args.delete ? undefined : step.text;
    execFileSync(wrangler, cmd, { env, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'inherit'] });
  }
  const done = `${args.delete ? 'deleted' : 'uploaded'} ${plan.length} objects ${args.delete ? 'from' : 'to'} ${args.where === '--remote' ? '' : 'local '}bucket ${bucket}`;
  console.log(args.dryRun ? `dry run: nothing ${args.delete ? 'deleted' : 'uploaded'}` : done);
}

main();
