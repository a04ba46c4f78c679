/**
 * The Workers rate-limiting binding in front of the work: every request that is not a read (scoring,
 * batches, OIP infer) counts against its client's budget, keyed by the client's address as Cloudflare
 * sees it. Reads are static assets and metadata, cheap and cached, and stay unlimited.
 */
import { DarklensError } from '@darklens/core';
import { errorBody, statusOf } from '../app/http-errors.js';
import type { RateLimiter } from './env.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The binding's longest period (it allows 10 or 60 s): after it, any client has a fresh budget. */
const RETRY_AFTER_SECONDS = 60;

/** The 429 for a client over its budget, or undefined when the request may go on. */
export async function rateLimited(request: Request, limiter: RateLimiter | undefined): Promise<Response | undefined> {
  if (limiter === undefined || READS.has(request.method)) return undefined;
  const key = request.headers.get('cf-connecting-ip') ?? 'unknown-client';
  if ((await limiter.limit({ key })).success) return undefined;
  const err = new DarklensError('rate_limited', `too many requests from ${key}: this deployment's rate limit is reached; retry after ${RETRY_AFTER_SECONDS} s`);
  // The Open Inference Protocol's own error shape under /v2, as the app answers there.
  const body = new URL(request.url).pathname.startsWith('/v2') ? { error: err.message } : errorBody(err);
  return Response.json(body, { status: statusOf(err.code), headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } });
}
