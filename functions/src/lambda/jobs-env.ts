/**
 * The Lambda function's jobs, from its environment (the SST stack sets every variable): the jobs
 * bucket as the store, the SQS queue for the chunks, the inputs bucket for keys jobs. Without
 * DARKLENS_JOBS_BUCKET the function runs no jobs (the /v1/jobs routes answer 503).
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { DarklensError } from '@darklens/core';
import type { JobParts } from '../app/jobs/jobs.js';
import { s3ClientFromEnv } from './env-source.js';
import { s3BlobStore } from './s3-blob-store.js';
import { sqsQueue } from './sqs-queue.js';

export const JOBS_ENV = {
  DARKLENS_JOBS_BUCKET: 'S3 bucket of the jobs: their chunks, results and state (default: no jobs)',
  DARKLENS_JOBS_QUEUE_URL: 'URL of the SQS queue the chunks go to (required with DARKLENS_JOBS_BUCKET); the SDK sends to its host',
  DARKLENS_INPUTS_BUCKET: 'S3 bucket that keys jobs read ({"keys": [...]} or {"prefix": ...}; default: uploads only)',
  DARKLENS_JOB_RETENTION_HOURS: 'hours a job and its results are kept (default 72; the stack expires the bucket\'s objects a little later)',
} as const;

function retentionMs(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const hours = Number(v);
  if (!Number.isFinite(hours) || hours <= 0) throw new DarklensError('invalid_argument', `DARKLENS_JOB_RETENTION_HOURS=${v}; accepted: a number of hours > 0`);
  return hours * 3600_000;
}

export function jobsFromEnv(env: Record<string, string | undefined>): JobParts | undefined {
  const bucket = env.DARKLENS_JOBS_BUCKET?.trim();
  const queueUrl = env.DARKLENS_JOBS_QUEUE_URL?.trim();
  if (!bucket && !queueUrl) return undefined;
  if (!bucket || !queueUrl) throw new DarklensError('invalid_argument', 'jobs need both DARKLENS_JOBS_BUCKET and DARKLENS_JOBS_QUEUE_URL (or neither: no jobs)');
  const s3 = s3ClientFromEnv(env);
  // No endpoint: the SDK sends to the queue URL's own host, on AWS as against a local SQS server.
  const sqs = new SQSClient(env.AWS_REGION ? { region: env.AWS_REGION } : {});
  const inputs = env.DARKLENS_INPUTS_BUCKET?.trim();
  const retention = retentionMs(env.DARKLENS_JOB_RETENTION_HOURS);
  return {
    storage: s3BlobStore({ client: s3, bucket }),
    queue: sqsQueue({ client: sqs, queueUrl }),
    ...(inputs ? { inputs: s3BlobStore({ client: s3, bucket: inputs }) } : {}),
    ...(retention === undefined ? {} : { settings: { retentionMs: retention } }),
  };
}
