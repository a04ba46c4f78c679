/**
 * The deployed function's module (what `npm run build:lambda` bundles as index.mjs). The service is
 * built once per execution environment, at init, and kept across warm invocations.
 *   index.handler  API Gateway HTTP API, or a function URL in BUFFERED mode
 *   index.stream   a function URL in RESPONSE_STREAM mode (the SST stack's)
 *   index.jobs     the jobs queue's SQS events (the stack's subscriber, partial batch responses)
 */
import { fileURLToPath } from 'node:url';
import { createLambdaApp, type StreamingHandler } from './handler.js';
import { sourceFromEnv } from './env-source.js';
import { jobsFromEnv } from './jobs-env.js';
import type { SqsHandler } from './sqs-consumer.js';

const jobParts = jobsFromEnv(process.env);
const lambda = createLambdaApp({ source: sourceFromEnv(process.env, fileURLToPath(new URL('./models/', import.meta.url))), env: process.env, ...(jobParts === undefined ? {} : { jobs: jobParts }) });

export const handler = lambda.handler;

export const jobs: SqsHandler = lambda.jobsHandler;

/**
 * Only the Lambda runtime defines awslambda.streamifyResponse (the AWS SDK, once imported, leaves an
 * empty `awslambda` object anywhere).
 */
const inLambdaRuntime = typeof (globalThis as { awslambda?: { streamifyResponse?: unknown } }).awslambda?.streamifyResponse === 'function';

export const stream: StreamingHandler = inLambdaRuntime
  ? lambda.streamingHandler()
  : () => Promise.reject(new Error('index.stream runs only in the AWS Lambda runtime (awslambda.streamifyResponse); use index.handler elsewhere'));
