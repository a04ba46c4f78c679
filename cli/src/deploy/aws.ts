/**
 * `--target aws`: the models bucket of the SST stack (its `models` output), read by the Lambda
 * function from DARKLENS_MODELS_BUCKET and DARKLENS_MODELS_PREFIX. Credentials come from the
 * environment only.
 */
import { DarklensError } from '@darklens/core';
import type { Unread } from './open.js';
import { endpointUrl, s3Client, s3Target, type S3Credentials } from './s3.js';
import type { DeployTarget } from './target.js';

export interface S3BucketOptions {
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
}

const AWS_CREDENTIALS_HINT =
  'darklens reads credentials from the environment only: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), ' +
  'e.g. eval "$(aws configure export-credentials --format env)"';

/** Credentials from `id`/`secret`/`token` variables of env, or undefined when they are not all there. */
export function envCredentials(env: NodeJS.ProcessEnv, id: string, secret: string, token?: string): S3Credentials | undefined {
  const accessKeyId = env[id]?.trim();
  const secretAccessKey = env[secret]?.trim();
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = token === undefined ? undefined : env[token]?.trim();
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

export function awsTarget(o: S3BucketOptions, env: NodeJS.ProcessEnv, dryRun: boolean): DeployTarget | Unread {
  const bucket = o.bucket ?? env.DARKLENS_MODELS_BUCKET?.trim();
  if (!bucket) throw new DarklensError('invalid_argument', '--target aws needs --bucket NAME (the models output of npx sst deploy) or DARKLENS_MODELS_BUCKET');
  const prefix = o.prefix ?? env.DARKLENS_MODELS_PREFIX?.trim() ?? '';
  // The Lambda reads DARKLENS_MODELS_PREFIX + path as it is: "models" would mean keys like "modelsregistry.json".
  if (prefix !== '' && !prefix.endsWith('/')) throw new DarklensError('invalid_argument', `--prefix ${prefix}: end it with "/" (e.g. ${prefix}/), and give the function the same DARKLENS_MODELS_PREFIX`);
  const region = o.region ?? (env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1');
  const endpoint = o.endpoint === undefined ? undefined : endpointUrl(o.endpoint);
  const location = `s3://${bucket}/${prefix}`;
  const credentials = envCredentials(env, 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN');
  if (credentials === undefined) {
    if (dryRun) return { location, unread: 'no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment' };
    throw new DarklensError('unauthorized', `no credentials for ${location}: ${AWS_CREDENTIALS_HINT}`);
  }
  return s3Target({
    client: s3Client({ region, credentials, ...(endpoint === undefined ? {} : { endpoint }) }),
    bucket,
    prefix,
    endpoint: endpoint ?? `the S3 endpoint of ${region}`,
    credentialsHint: AWS_CREDENTIALS_HINT,
  });
}
