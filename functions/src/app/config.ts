/**
 * Service settings, with defaults that serve the shipped models on a laptop with nothing to configure.
 * Every runtime reads them the same way from its environment (`configFromEnv`); the Node CLI adds flags.
 */
import { DarklensError } from '@darklens/core';

export interface ServiceLimits {
  /** Largest request body of /v1/score and /v2 infer, in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Largest request body of /v1/score/batch, in bytes (413 beyond). */
  maxBatchBodyBytes: number;
  /** Most cutouts in one batch request (413 beyond). */
  maxBatchItems: number;
  /** Largest accepted width or height of a cutout, in pixels (413 beyond). */
  maxSide: number;
  /** Largest decompressed size of a gzip upload, in bytes. */
  maxGunzipBytes: number;
  /**
   * Where work over these limits should go, appended to every body-size 413 (a runtime with hard
   * platform limits, like AWS Lambda's 6 MB payload, names the route for large work here).
   */
  largeWorkHint?: string;
}

export interface ServiceConfig {
  /** Bearer keys accepted on the scoring routes; none means the routes are open. */
  apiKeys: string[];
  /** Bearer key of POST /admin/reload; none means the route is off. */
  adminKey?: string;
  /** Origins allowed by CORS; none means CORS is off. `*` allows any. */
  corsOrigins: string[];
  limits: ServiceLimits;
}

export const DEFAULT_LIMITS: ServiceLimits = {
  maxBodyBytes: 32 * 1024 * 1024,
  maxBatchBodyBytes: 512 * 1024 * 1024,
  maxBatchItems: 10_000,
  maxSide: 4096,
  maxGunzipBytes: 256 * 1024 * 1024,
};

export const DEFAULT_CONFIG: ServiceConfig = { apiKeys: [], corsOrigins: [], limits: DEFAULT_LIMITS };

/** The environment variables read by `configFromEnv`, for --help texts and the README. */
export const CONFIG_ENV = {
  DARKLENS_API_KEYS: 'comma-separated bearer keys required on scoring routes (default: open)',
  DARKLENS_ADMIN_KEY: 'bearer key of POST /admin/reload (default: route off)',
  DARKLENS_CORS_ORIGINS: 'comma-separated allowed origins, or * (default: CORS off)',
  DARKLENS_MAX_BODY_MB: `largest single-cutout body in MiB (default ${DEFAULT_LIMITS.maxBodyBytes / 2 ** 20})`,
  DARKLENS_MAX_BATCH_MB: `largest batch body in MiB (default ${DEFAULT_LIMITS.maxBatchBodyBytes / 2 ** 20})`,
  DARKLENS_MAX_BATCH_ITEMS: `most cutouts per batch (default ${DEFAULT_LIMITS.maxBatchItems})`,
  DARKLENS_MAX_SIDE: `largest cutout side in pixels (default ${DEFAULT_LIMITS.maxSide})`,
  DARKLENS_MAX_GUNZIP_MB: `largest decompressed size of a gzip upload in MiB (default ${DEFAULT_LIMITS.maxGunzipBytes / 2 ** 20})`,
} as const;

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function positive(name: string, v: string | undefined, fallback: number, unit = 1): number {
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new DarklensError('invalid_argument', `${name}=${v}; accepted: a positive number`);
  return Math.floor(n * unit);
}

/** Reads the DARKLENS_* variables (see CONFIG_ENV) over the defaults; bad values throw invalid_argument. */
export function configFromEnv(env: Record<string, string | undefined>): ServiceConfig {
  const config: ServiceConfig = {
    apiKeys: list(env.DARKLENS_API_KEYS),
    corsOrigins: list(env.DARKLENS_CORS_ORIGINS),
    limits: {
      maxBodyBytes: positive('DARKLENS_MAX_BODY_MB', env.DARKLENS_MAX_BODY_MB, DEFAULT_LIMITS.maxBodyBytes, 2 ** 20),
      maxBatchBodyBytes: positive('DARKLENS_MAX_BATCH_MB', env.DARKLENS_MAX_BATCH_MB, DEFAULT_LIMITS.maxBatchBodyBytes, 2 ** 20),
      maxBatchItems: positive('DARKLENS_MAX_BATCH_ITEMS', env.DARKLENS_MAX_BATCH_ITEMS, DEFAULT_LIMITS.maxBatchItems),
      maxSide: positive('DARKLENS_MAX_SIDE', env.DARKLENS_MAX_SIDE, DEFAULT_LIMITS.maxSide),
      maxGunzipBytes: positive('DARKLENS_MAX_GUNZIP_MB', env.DARKLENS_MAX_GUNZIP_MB, DEFAULT_LIMITS.maxGunzipBytes, 2 ** 20),
    },
  };
  const admin = env.DARKLENS_ADMIN_KEY?.trim();
  if (admin) config.adminKey = admin;
  return config;
}

/** The 413 of a request body over `limit` bytes, with the runtime's advice for large work. */
export function bodyTooLarge(limits: ServiceLimits, limit: number): DarklensError {
  const hint = limits.largeWorkHint === undefined ? '' : `. ${limits.largeWorkHint}`;
  return new DarklensError('too_large', `the request body is larger than ${limit} bytes; accepted: up to ${limit} bytes${hint}`);
}
