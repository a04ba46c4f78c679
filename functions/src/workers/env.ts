/**
 * The Worker's bindings and variables (wrangler.jsonc declares them). Bindings are typed by the few
 * members the Worker uses, so Cloudflare's own R2Bucket and RateLimit satisfy them as they are.
 */
import { DarklensError } from '@darklens/core';
import { configFromEnv, type ServiceConfig } from '../app/config.js';
import type { JobParts, JobSettings } from '../app/jobs/jobs.js';
import { queueProducer, type ChunkQueue } from './queue-producer.js';
import { r2BlobStore, type JobBucket } from './r2-blob-store.js';

export interface ModelObject {
  readonly etag: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The part of an R2 bucket binding the model source uses. */
export interface ModelBucket {
  get(key: string): Promise<ModelObject | null>;
  head(key: string): Promise<{ readonly etag: string } | null>;
}

/** A Workers rate-limiting binding. */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface WorkerEnv {
  /** The model registry (R2). */
  MODELS: ModelBucket;
  /** Jobs' inputs, results and state (R2); with JOBS_QUEUE it enables /v1/jobs (without: 503). */
  JOBS?: JobBucket;
  /** Where job chunks are queued (a Queues producer); this Worker is also the queue's consumer. */
  JOBS_QUEUE?: ChunkQueue;
  /** Objects a keys job names (R2; optional: without it jobs take uploads only). */
  INPUTS?: JobBucket;
  /** Requests per period and client, counted on every request that is not a read (optional: none means unlimited). */
  RATE_LIMITER?: RateLimiter;
  /** The R2 bucket's name, for messages and logs. */
  DARKLENS_MODELS_BUCKET?: string;
  /** Comma-separated models to serve (default: every model of the registry). */
  DARKLENS_SERVED_MODELS?: string;
  /** Seconds between looks at registry.json (its ETag; a failed first load is retried as often). Default 30; 0: every request. */
  DARKLENS_REGISTRY_CHECK_SECONDS?: string;
  /** How long a job and its results are kept (hours, default 72). */
  DARKLENS_JOB_RETENTION_HOURS?: string;
  /** The R2 buckets' names behind JOBS and INPUTS, for messages and logs. */
  DARKLENS_JOBS_BUCKET?: string;
  DARKLENS_INPUTS_BUCKET?: string;
  /** The dead-letter queue of the jobs queue (wrangler.jsonc): its batches are recorded, not scored. */
  DARKLENS_JOBS_DEAD_LETTER_QUEUE?: string;
  /** The service settings of every runtime (configFromEnv): DARKLENS_API_KEYS (a secret), ... */
  [variable: string]: unknown;
}

/** The DARKLENS_* string variables of the Worker's env, as configFromEnv reads them on every runtime. */
function strings(env: WorkerEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return out;
}

export interface WorkerSettings {
  config: ServiceConfig;
  models?: string[];
  bucketName: string;
  registryCheckMs: number;
  /** Job settings over the defaults (only those set). */
  jobs: Partial<JobSettings>;
  jobsBucketName: string;
  inputsBucketName: string;
  deadLetterQueue: string;
}

/** A number variable (undefined when unset), refused naming it and what is `accepted` unless `ok`. */
function numberVar(vars: Record<string, string | undefined>, name: string, accepted: string, ok: (n: number) => boolean): number | undefined {
  const raw = vars[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || !ok(n)) throw new DarklensError('invalid_argument', `${name}=${raw}; accepted: ${accepted}`);
  return n;
}

export function settingsFromEnv(env: WorkerEnv): WorkerSettings {
  const vars = strings(env);
  const settings: WorkerSettings = {
    config: configFromEnv(vars),
    bucketName: vars.DARKLENS_MODELS_BUCKET ?? 'MODELS',
    registryCheckMs: 30_000,
    jobs: {},
    jobsBucketName: vars.DARKLENS_JOBS_BUCKET ?? 'JOBS',
    inputsBucketName: vars.DARKLENS_INPUTS_BUCKET ?? 'INPUTS',
    deadLetterQueue: vars.DARKLENS_JOBS_DEAD_LETTER_QUEUE ?? 'darklens-jobs-dlq',
  };
  const models = (vars.DARKLENS_SERVED_MODELS ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (models.length > 0) settings.models = models;
  const check = numberVar(vars, 'DARKLENS_REGISTRY_CHECK_SECONDS', 'seconds >= 0', (n) => n >= 0);
  if (check !== undefined) settings.registryCheckMs = check * 1000;
  const retention = numberVar(vars, 'DARKLENS_JOB_RETENTION_HOURS', 'hours > 0', (n) => n > 0);
  if (retention !== undefined) settings.jobs.retentionMs = retention * 3600_000;
  return settings;
}

/** The job parts of a Worker bound to a JOBS bucket and the JOBS_QUEUE producer; none without them. */
export function jobParts(env: WorkerEnv, settings: WorkerSettings): JobParts | undefined {
  if (env.JOBS === undefined || env.JOBS_QUEUE === undefined) return undefined;
  return {
    storage: r2BlobStore(env.JOBS, settings.jobsBucketName),
    queue: queueProducer(env.JOBS_QUEUE),
    ...(env.INPUTS === undefined ? {} : { inputs: r2BlobStore(env.INPUTS, settings.inputsBucketName) }),
    settings: settings.jobs,
  };
}
