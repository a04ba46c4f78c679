/**
 * `--target cloudflare`: the R2 bucket the Worker binds as MODELS (functions/wrangler.jsonc), either
 * your account's through R2's S3-compatible API (credentials from the environment), or with --local
 * the bucket `wrangler dev` keeps on this machine (through Miniflare, as wrangler itself does).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Miniflare as MiniflareClass } from 'miniflare';
import { DarklensError } from '@darklens/core';
import { envCredentials } from './aws.js';
import type { Unread } from './open.js';
import { r2BindingTarget, type R2BucketBinding } from './r2-binding.js';
import { endpointUrl, s3Client, s3Target } from './s3.js';
import type { DeployTarget } from './target.js';

/** The Worker's folder: wrangler.jsonc, and `wrangler dev`'s state under .wrangler/. */
export const WORKER_DIR = fileURLToPath(new URL('../../../functions/', import.meta.url));
export const DEFAULT_PERSIST = join(WORKER_DIR, '.wrangler', 'state');

export interface CloudflareOptions {
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  accountId?: string;
  local?: boolean;
  persistTo?: string;
}

const R2_CREDENTIALS_HINT =
  'darklens reads credentials from the environment only: create an R2 API token (Cloudflare dashboard, R2, Manage API tokens) and set R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY';

/** The bucket bound as MODELS in functions/wrangler.jsonc (whole-line comments stripped: JSONC). */
export function workerModelsBucket(config = join(WORKER_DIR, 'wrangler.jsonc')): string {
  if (!existsSync(config)) throw new DarklensError('invalid_argument', `${config} is not there to name the Worker's models bucket: give --bucket NAME`);
  const parsed = JSON.parse(readFileSync(config, 'utf8').replace(/^\s*\/\/.*$/gm, '')) as { r2_buckets?: { binding?: string; bucket_name?: string }[] };
  const bucket = parsed.r2_buckets?.find((b) => b.binding === 'MODELS')?.bucket_name;
  if (bucket === undefined) throw new DarklensError('invalid_argument', `no R2 bucket is bound as MODELS in ${config}: give --bucket NAME`);
  return bucket;
}

/** wrangler dev's local bucket under `persistTo` (as `wrangler r2 object put --local --persist-to` writes it). */
async function localBucket(bucket: string, persistTo: string): Promise<DeployTarget> {
  let Miniflare: typeof MiniflareClass;
  try {
    ({ Miniflare } = await import('miniflare'));
  } catch (e) {
    throw new DarklensError('unavailable', 'the local R2 bucket needs miniflare, a development dependency of darklens: run npm ci in the repository', { cause: e });
  }
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch: () => new Response(null, { status: 204 }) }',
    r2Buckets: { MODELS: { id: bucket } },
    r2Persist: join(persistTo, 'v3', 'r2'),
    host: '127.0.0.1',
    port: 0,
    cf: false,
  });
  await mf.ready;
  const binding = (await mf.getR2Bucket('MODELS')) as unknown as R2BucketBinding;
  return r2BindingTarget(binding, `r2://${bucket} (local: ${persistTo})`, () => mf.dispose());
}

export async function cloudflareTarget(o: CloudflareOptions, env: NodeJS.ProcessEnv, dryRun: boolean): Promise<DeployTarget | Unread> {
  const bucket = o.bucket ?? workerModelsBucket();
  // The Worker reads registry paths at the bucket's root (functions/src/workers/r2-source.ts).
  if (o.prefix !== undefined) throw new DarklensError('invalid_argument', '--prefix is for --target aws: the Worker reads the registry at the root of its R2 bucket');
  if (o.local === true) {
    if (o.endpoint !== undefined || o.accountId !== undefined) throw new DarklensError('invalid_argument', '--local is wrangler dev\'s bucket on this machine: it takes no --endpoint or --account-id');
    const persistTo = o.persistTo ?? DEFAULT_PERSIST;
    // A dry run creates nothing, not even wrangler's empty state folders.
    if (dryRun && !existsSync(join(persistTo, 'v3', 'r2', bucket))) return { location: `r2://${bucket} (local: ${persistTo})`, unread: 'no local bucket there yet' };
    return localBucket(bucket, persistTo);
  }
  if (o.persistTo !== undefined) throw new DarklensError('invalid_argument', '--persist-to goes with --local');
  const accountId = o.accountId ?? env.CLOUDFLARE_ACCOUNT_ID?.trim();
  const endpoint = o.endpoint !== undefined ? endpointUrl(o.endpoint) : accountId ? `https://${accountId}.r2.cloudflarestorage.com` : undefined;
  const location = `r2://${bucket}${endpoint === undefined ? '' : ` (${endpoint})`}`;
  if (endpoint === undefined) {
    if (dryRun) return { location, unread: 'no account: --account-id or CLOUDFLARE_ACCOUNT_ID' };
    throw new DarklensError('invalid_argument', '--target cloudflare needs your account: --account-id ID (or CLOUDFLARE_ACCOUNT_ID, or --endpoint URL), or --local for wrangler dev\'s bucket on this machine');
  }
  const credentials = envCredentials(env, 'R2_ACCESS_KEY_ID', 'R2_SECRET_ACCESS_KEY') ?? envCredentials(env, 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN');
  if (credentials === undefined) {
    if (dryRun) return { location, unread: 'no R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY in the environment' };
    throw new DarklensError('unauthorized', `no credentials for ${location}: ${R2_CREDENTIALS_HINT}`);
  }
  return s3Target({ client: s3Client({ region: 'auto', credentials, endpoint }), bucket, prefix: '', endpoint, credentialsHint: R2_CREDENTIALS_HINT, location });
}
