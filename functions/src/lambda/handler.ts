/**
 * The app as AWS Lambda handlers, through hono's Lambda adapter: `handler` answers API Gateway (HTTP
 * API v2) and function-URL events buffered; `streamingHandler()` answers a function URL in
 * RESPONSE_STREAM mode, so a batch's NDJSON lines leave as they are scored. Both share one path:
 * wait for the first model load, check the registry (at most every few seconds), run the app, cap
 * the answer at Lambda's response limit. `jobsHandler` consumes the jobs queue's SQS events
 * (sqs-consumer.ts) after the same wait and check.
 */
import { Hono } from 'hono';
import { defaultIsContentTypeBinary, handle, streamHandle, type APIGatewayProxyResult, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import { DarklensError, isDarklensError } from '@darklens/core';
import type { InferenceEngine } from '../app/engine.js';
import type { JobParts } from '../app/jobs/jobs.js';
import { errorBody, statusOf } from '../app/http-errors.js';
import type { LogSink } from '../app/middleware/logger.js';
import type { ModelSource } from '../app/model-source.js';
import { createService, type Service } from '../app/service.js';
import { ortNodeEngine } from '../node/ort-engine.js';
import { capBody, lambdaConfig, LAMBDA_RESPONSE_CAPS, type ResponseCaps } from './limits.js';
import { registryPoller, type RegistryPoller } from './registry-poll.js';
import type { PolledSource } from './s3-source.js';
import { sqsConsumer, type SqsHandler } from './sqs-consumer.js';

export interface LambdaAppOptions {
  /** Where the registry is: the models bucket (s3Source) or the models bundled in the artifact. */
  source: ModelSource | PolledSource;
  /** DARKLENS_* settings (configFromEnv, clamped to Lambda's limits) and DARKLENS_REGISTRY_POLL_SECONDS. */
  env?: Record<string, string | undefined>;
  /** Default: onnxruntime-node on the invocation's thread (an environment serves one request at a time). */
  engine?: InferenceEngine;
  /** Default: one JSON line per record on stdout (CloudWatch Logs), written at once: a frozen environment flushes nothing later. */
  log?: LogSink;
  /** Default: Lambda's own response limits. */
  caps?: ResponseCaps;
  /** The job store and queue (jobsFromEnv: the jobs bucket and SQS); without: no jobs. */
  jobs?: JobParts;
}

/** The handler the Lambda runtime calls for RESPONSE_STREAM invocations (marked by awslambda.streamifyResponse). */
export type StreamingHandler = (event: LambdaEvent, responseStream: unknown, context: LambdaContext) => Promise<void>;

export interface LambdaApp {
  service: Service;
  /** Buffered: API Gateway HTTP API v2, or a function URL in BUFFERED mode. */
  handler: (event: LambdaEvent, context?: LambdaContext) => Promise<APIGatewayProxyResult>;
  /** A function URL in RESPONSE_STREAM mode. Built on first call: it needs the runtime's `awslambda` global. */
  streamingHandler: () => StreamingHandler;
  /** The jobs queue's SQS events (partial batch responses). */
  jobsHandler: SqsHandler;
}

/** Default seconds between two registry checks (a check is one HEAD request). */
export const DEFAULT_POLL_SECONDS = 5;

export const stdoutJsonLog: LogSink = (record) => {
  process.stdout.write(`${JSON.stringify(record)}\n`);
};

function pollSeconds(env: Record<string, string | undefined>): number {
  const v = env.DARKLENS_REGISTRY_POLL_SECONDS;
  if (v === undefined || v.trim() === '') return DEFAULT_POLL_SECONDS;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new DarklensError('invalid_argument', `DARKLENS_REGISTRY_POLL_SECONDS=${v}; accepted: a number of seconds >= 0`);
  return n;
}

const isPolled = (s: ModelSource | PolledSource): s is PolledSource => 'registryTag' in s;

/** NDJSON lines are text for API Gateway; hono's default would base64 them. */
const isBinary = (contentType: string): boolean => defaultIsContentTypeBinary(contentType) && !/^application\/x-ndjson\b/i.test(contentType);

function errorResult(e: DarklensError): APIGatewayProxyResult {
  return { statusCode: statusOf(e.code), headers: { 'content-type': 'application/json' }, body: JSON.stringify(errorBody(e)), isBase64Encoded: false };
}

export function createLambdaApp(options: LambdaAppOptions): LambdaApp {
  const env = options.env ?? {};
  const log = options.log ?? stdoutJsonLog;
  const caps = options.caps ?? LAMBDA_RESPONSE_CAPS;
  const service = createService({ source: options.source, engine: options.engine ?? ortNodeEngine(), config: lambdaConfig(env), log, ...(options.jobs === undefined ? {} : { jobs: options.jobs }) });
  const loaded = service.ready.then(
    () => undefined,
    (e: unknown) => log({ level: 'error', msg: 'models not loaded', registry: options.source.location, error: e instanceof Error ? e.message : String(e) }),
  );
  const poller: RegistryPoller | undefined = isPolled(options.source) ? registryPoller(service.store, options.source, { intervalMs: pollSeconds(env) * 1000, log }) : undefined;

  const fresh = async (): Promise<void> => {
    await loaded;
    await poller?.check();
  };

  const front = (mode: 'buffered' | 'streamed'): Hono =>
    new Hono().all('*', async (c) => {
      await fresh();
      const res = await service.app.fetch(c.req.raw);
      return capBody(res, mode === 'buffered' ? caps.buffered : caps.streamed, mode);
    });

  const buffered = handle(front('buffered'), { isContentTypeBinary: isBinary });
  let streaming: StreamingHandler | undefined;

  return {
    service,
    handler: async (event, context) => {
      try {
        return await buffered(event, context);
      } catch (e) {
        // The answer outgrew the buffered response limit while hono read it (capBody).
        if (isDarklensError(e) && e.code === 'too_large') return errorResult(e);
        throw e;
      }
    },
    // hono types it as a plain Handler; awslambda.streamifyResponse makes it (event, responseStream, context).
    streamingHandler: () => (streaming ??= streamHandle(front('streamed')) as unknown as StreamingHandler),
    jobsHandler: sqsConsumer({ jobs: service.jobs, before: fresh, log }),
  };
}
