#!/usr/bin/env node
// `npm run worker:upload-models`: the Worker's R2 bucket filled by `darklens models deploy --target
// cloudflare` (--delete: `darklens models undeploy`), kept for its short flags. The deploy layer
// (cli/src/deploy/) is the one implementation: missing or changed files first, registry.json last.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../cli/bin/darklens.js', import.meta.url));
const HELP = `usage: npm run worker:upload-models -- (--remote | --local [--persist-to DIR]) [--bucket NAME] [--models DIR] [--only a,b] [--delete] [--dry-run]
  --remote       your account's bucket through R2's S3 API: --account-id ID or CLOUDFLARE_ACCOUNT_ID,
                 and R2_ACCESS_KEY_ID + R2_SECRET_ACCESS_KEY in the environment
  --local        wrangler dev's local bucket (in functions/.wrangler/state, or --persist-to DIR)
  --bucket       bucket name (default: the one bound as MODELS in functions/wrangler.jsonc)
  --models       registry folder (default: models/)
  --only         only these models (registry.json then lists only them)
  --delete       delete those objects instead, registry.json first
  --dry-run      print every operation, do nothing
It runs darklens models deploy --target cloudflare (undeploy with --delete); see its --help.`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
if (!args.includes('--remote') && !args.includes('--local')) {
  console.error(`r2-upload-models: say where: --remote or --local\n${HELP}`);
  process.exit(2);
}
const passed = args.filter((a) => a !== '--remote' && a !== '--delete').map((a) => (a === '--models' ? '--registry' : a));
const command = args.includes('--delete') ? 'undeploy' : 'deploy';
const r = spawnSync(process.execPath, [BIN, 'models', command, '--target', 'cloudflare', ...passed], { stdio: 'inherit' });
process.exit(r.status ?? 1);
