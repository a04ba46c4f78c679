/**
 * Where a deployed function finds its models, from its environment: the models bucket when
 * DARKLENS_MODELS_BUCKET is set (the SST stack sets it), else the shipped models bundled in the
 * artifact, so a function deployed without a bucket still serves.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { ModelSource } from '../app/model-source.js';
import { folderSource } from '../node/fs-source.js';
import { s3Source, type PolledSource } from './s3-source.js';

/** The variables the Lambda adapter reads besides the service's DARKLENS_* settings (CONFIG_ENV). */
export const LAMBDA_ENV = {
  DARKLENS_MODELS_BUCKET: 'S3 bucket holding registry.json and the version files (default: the models bundled in the artifact)',
  DARKLENS_MODELS_PREFIX: 'key prefix of the registry in that bucket (default: none)',
  DARKLENS_REGISTRY_POLL_SECONDS: 'least seconds between two checks of the registry\'s ETag (default 5)',
  DARKLENS_MODELS_DIR: 'folder of the bundled registry (default: models/ beside the handler)',
  DARKLENS_S3_ENDPOINT: 'an S3-compatible endpoint instead of AWS\'s (local testing)',
} as const;

/** The S3 client of every bucket the function reads (models, jobs, inputs): the region's, or DARKLENS_S3_ENDPOINT. */
export function s3ClientFromEnv(env: Record<string, string | undefined>): S3Client {
  const endpoint = env.DARKLENS_S3_ENDPOINT?.trim();
  return new S3Client({
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
}

export function sourceFromEnv(env: Record<string, string | undefined>, bundledModels: string): ModelSource | PolledSource {
  const bucket = env.DARKLENS_MODELS_BUCKET?.trim();
  if (!bucket) return folderSource(env.DARKLENS_MODELS_DIR?.trim() || bundledModels);
  return s3Source({ client: s3ClientFromEnv(env), bucket, prefix: env.DARKLENS_MODELS_PREFIX?.trim() ?? '' });
}
