/**
 * The Worker's bindings and variables (wrangler.jsonc declares them). Bindings are typed by the few
 * members the Worker uses, so Cloudflare's own R2Bucket and RateLimit satisfy them as they are.
 */
import { DarklensError } from '@darklens/core';
import { configFromEnv, type ServiceConfig } from '../app/config.js';

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
  /** Requests per period and client, counted on every request that is not a read (optional: none means unlimited). */
  RATE_LIMITER?: RateLimiter;
  /** The R2 bucket's name, for messages and logs. */
  DARKLENS_MODELS_BUCKET?: string;
  /** Comma-separated models to serve (default: every model of the registry). */
  DARKLENS_SERVED_MODELS?: string;
  /** Seconds between looks at registry.json (its ETag; a failed first load is retried as often). Default 30; 0: every request. */
  DARKLENS_REGISTRY_CHECK_SECONDS?: string;
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
}

export function settingsFromEnv(env: WorkerEnv): WorkerSettings {
  const vars = strings(env);
  const settings: WorkerSettings = {
    config: configFromEnv(vars),
    bucketName: vars.DARKLENS_MODELS_BUCKET ?? 'MODELS',
    registryCheckMs: 30_000,
  };
  const models = (vars.DARKLENS_SERVED_MODELS ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (models.length > 0) settings.models = models;
  const check = vars.DARKLENS_REGISTRY_CHECK_SECONDS?.trim();
  if (check !== undefined && check !== '') {
    const s = Number(check);
    if (!Number.isFinite(s) || s < 0) throw new DarklensError('invalid_argument', `DARKLENS_REGISTRY_CHECK_SECONDS=${check}; accepted: seconds >= 0`);
    settings.registryCheckMs = s * 1000;
  }
  return settings;
}
