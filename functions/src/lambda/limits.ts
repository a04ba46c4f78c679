/**
 * AWS Lambda's payload limits as this runtime's service config, and the response-side caps the
 * handlers enforce (a buffered answer over 6 MB would otherwise fail as an opaque 502 from AWS).
 * Figures from the Lambda quotas page (function URL and synchronous invoke; re-check before relying on one).
 */
import { DarklensError } from '@darklens/core';
import { configFromEnv, type ServiceConfig } from '../app/config.js';
import { errorBody } from '../app/http-errors.js';

const MiB = 2 ** 20;

export const LAMBDA_LIMITS = {
  /** Synchronous invocation payload: the whole event, headers and (base64) body included. */
  requestPayloadBytes: 6 * MiB,
  /** Buffered response payload (API Gateway, or a function URL in BUFFERED mode). */
  bufferedResponseBytes: 6 * MiB,
  /** Streamed response (function URL in RESPONSE_STREAM mode): the documented maximum. */
  streamedResponseBytes: 200 * MiB,
} as const;

/** Room left for the event's own JSON (headers, request context) within the payload. */
const EVENT_OVERHEAD_BYTES = 64 * 1024;

/** The largest binary body that still fits the payload once base64-encoded (4 bytes per 3). */
export const LAMBDA_MAX_BODY_BYTES = Math.floor(((LAMBDA_LIMITS.requestPayloadBytes - EVENT_OVERHEAD_BYTES) * 3) / 4);

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** What a 413 of this runtime tells the client to do with work over the limit. */
export const LAMBDA_LARGE_WORK_HINT =
  `AWS Lambda takes request bodies up to ${mb(LAMBDA_LIMITS.requestPayloadBytes)} (${mb(LAMBDA_MAX_BODY_BYTES)} of binary once base64-encoded): ` +
  'send large work to POST /v1/score/batch in several requests under this size (NPY stacks or tars of cutouts), ' +
  'or score it with `darklens serve`, whose batches take up to 512 MiB';

/** configFromEnv, with the body limits clamped to what a Lambda event can carry and the large-work hint. */
export function lambdaConfig(env: Record<string, string | undefined>): ServiceConfig {
  const config = configFromEnv(env);
  const limits = config.limits;
  limits.maxBodyBytes = Math.min(limits.maxBodyBytes, LAMBDA_MAX_BODY_BYTES);
  limits.maxBatchBodyBytes = Math.min(limits.maxBatchBodyBytes, LAMBDA_MAX_BODY_BYTES);
  limits.largeWorkHint = LAMBDA_LARGE_WORK_HINT;
  return config;
}

/** Caps on what a handler may answer, in bytes of body. */
export interface ResponseCaps {
  buffered: number;
  streamed: number;
}

export const LAMBDA_RESPONSE_CAPS: ResponseCaps = {
  // A binary body is base64-encoded into the result: 3 bytes of body per 4 of payload.
  buffered: Math.floor(((LAMBDA_LIMITS.bufferedResponseBytes - EVENT_OVERHEAD_BYTES) * 3) / 4),
  streamed: LAMBDA_LIMITS.streamedResponseBytes,
};

export function responseTooLarge(mode: 'buffered' | 'streamed', cap: number): DarklensError {
  const advice =
    mode === 'buffered'
      ? 'ask for fewer outputs (outputs=, encoding=), send fewer cutouts per request, or call the streaming function URL (up to 200 MB)'
      : 'send fewer cutouts per request or ask for fewer outputs';
  return new DarklensError('too_large', `the answer is larger than ${cap} bytes, AWS Lambda's ${mode} response limit here; ${advice}`);
}

const isNdjson = (res: Response): boolean => (res.headers.get('content-type') ?? '').startsWith('application/x-ndjson');

/**
 * The response with its body counted as it is read. Past `cap` bytes: an NDJSON stream ends with one
 * last line holding the 413 error (its status has long been sent); any other body fails with it.
 */
export function capBody(res: Response, cap: number, mode: 'buffered' | 'streamed'): Response {
  if (res.body === null) return res;
  const ndjson = isNdjson(res);
  let sent = 0;
  const counted = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.byteLength;
        if (sent <= cap) {
          controller.enqueue(chunk);
          return;
        }
        const err = responseTooLarge(mode, cap);
        if (!ndjson || mode === 'buffered') throw err;
        controller.enqueue(new TextEncoder().encode(`${JSON.stringify(errorBody(err))}\n`));
        controller.terminate();
      },
    }),
  );
  return new Response(counted, { status: res.status, statusText: res.statusText, headers: res.headers });
}
