/// <reference path="./.sst/platform/config.d.ts" />
/**
 * darklens on AWS (SST): the scoring function behind a streaming function URL, its models bucket, and
 * the web page as a static site pointed at the function. A user with an AWS account deploys with
 * `npx sst deploy --stage NAME` (README: "Deploy on AWS"). The project's own machines never deploy,
 * diff or run `sst dev` (they must not reach AWS): CI only type-checks this file against SST's
 * generated platform types (`npm run typecheck:sst`), so a wrong resource or option fails the build.
 *
 *   Models   S3 bucket: registry.json and the version files, as `darklens models` lays them out
 *   ApiKeys  SST secret: comma-separated bearer keys of the scoring routes (placeholder '': open)
 *   Scoring  Lambda function from `npm run build:lambda` (out/lambda), function URL in RESPONSE_STREAM
 *            mode so a batch's NDJSON lines leave as they are scored
 *   Jobs     S3 bucket of the survey-scale jobs (chunks, results, state), expired by a lifecycle rule
 *   Inputs   S3 bucket that keys jobs read (POST /v1/jobs {"prefix": ...}): upload a season here
 *   JobQueue SQS queue of the jobs' chunks, consumed by the same artifact (index.jobs), with a
 *            dead-letter queue (JobDeadLetters) for messages the app cannot handle
 *   Web      S3 + CloudFront static site, built with VITE_DARKLENS_API = the function's URL
 */

/**
 * Sizing, from `npm run bench -- lambda` (bench/results/lambda.json): peak RSS of an environment with
 * the four models loaded is ~220 MiB and inference runs on one thread, so memory buys CPU, not room.
 * 1769 MB is the size at which Lambda gives a full vCPU: a warm cutout then takes about what it takes on
 * one core here, and the model load of a cold start is not throttled. Less memory bills about the same
 * per cutout (slower at a lower rate) with worse latency; more gives a second vCPU nothing uses.
 * The slowest request the 6 MB payload allows (a batch of ~1,000 PNG cutouts) takes a few seconds: 30 s
 * leaves room for a cold start and a slow neighbour.
 */
const MEMORY = '1769 MB';
const TIMEOUT = '30 seconds';

/**
 * Jobs. The consumer gets up to 10 chunks an invocation, one after another: a 256-cutout chunk takes
 * about a second warm, so 2 minutes covers a batch, a cold start and slow S3 reads with room to spare.
 * The queue hides a delivered message for 6 times that (AWS's advice for Lambda consumers, so a
 * throttled invocation is not redelivered while it still runs); a failed chunk waits as long before its
 * next attempt. The app records a chunk as failed on its 3rd attempt (DEFAULT_JOB_SETTINGS.maxAttempts);
 * SQS gives up after 5 receives, so only messages the app cannot handle at all (not a chunk message,
 * or a store refusing even the failure record) end in the dead-letter queue.
 */
const JOB_TIMEOUT = '2 minutes';
const JOB_VISIBILITY = '12 minutes';
const JOB_BATCH = 10;
const JOB_RECEIVES = 5;
/** How long jobs are kept (the service's DARKLENS_JOB_RETENTION_HOURS; its sweep removes them then). */
const JOB_RETENTION_HOURS = 72;
/** The bucket's own expiry, two days later: forgotten jobs go even if no sweep runs (it runs on job creation). */
const JOB_EXPIRY_DAYS = Math.ceil(JOB_RETENTION_HOURS / 24) + 2;

export default $config({
  app(input) {
    return {
      name: 'darklens',
      home: 'aws',
      // Keep a production stage's bucket (and its models) when the stage is removed.
      removal: input?.stage === 'production' ? 'retain' : 'remove',
    };
  },
  async run() {
    // The deployment artifact (handler bundle, onnxruntime-node's linux-x64 binary, the shipped models).
    const { execSync } = await import('node:child_process');
    execSync('npm run build:lambda', { stdio: 'inherit' });

    const models = new sst.aws.Bucket('Models');
    const apiKeys = new sst.Secret('ApiKeys', '');

    // Everything of a job is under jobs/ID/ and its expiry entry under index/ (functions/src/app/jobs/layout.ts).
    const jobStore = new sst.aws.Bucket('Jobs', {
      lifecycle: [
        { id: 'expire-jobs', prefix: 'jobs/', expiresIn: `${JOB_EXPIRY_DAYS} days` },
        { id: 'expire-job-index', prefix: 'index/', expiresIn: `${JOB_EXPIRY_DAYS} days` },
      ],
    });
    const inputs = new sst.aws.Bucket('Inputs');
    const deadLetters = new sst.aws.Queue('JobDeadLetters');
    const jobQueue = new sst.aws.Queue('JobQueue', {
      visibilityTimeout: JOB_VISIBILITY,
      dlq: { queue: deadLetters.arn, retry: JOB_RECEIVES },
    });

    /** What every function of the stack runs: the one artifact, on x86_64 (onnxruntime aborts on arm64 Lambda). */
    const artifact = {
      bundle: 'out/lambda',
      runtime: 'nodejs22.x',
      architecture: 'x86_64',
      memory: MEMORY,
      // Linking grants the function's role access (s3:* on the buckets, sqs:* on the queue).
      link: [models, jobStore, inputs, jobQueue],
      environment: {
        DARKLENS_MODELS_BUCKET: models.name,
        DARKLENS_API_KEYS: apiKeys.value,
        DARKLENS_JOBS_BUCKET: jobStore.name,
        DARKLENS_JOBS_QUEUE_URL: jobQueue.url,
        DARKLENS_INPUTS_BUCKET: inputs.name,
        DARKLENS_JOB_RETENTION_HOURS: String(JOB_RETENTION_HOURS),
      },
    } satisfies Partial<sst.aws.FunctionArgs>;

    const scoring = new sst.aws.Function('Scoring', {
      ...artifact,
      handler: 'index.stream',
      streaming: true,
      timeout: TIMEOUT,
      // The app answers CORS itself (the same on every runtime); the page's origin is only known
      // after the site exists, and bearer keys are no cookies, so any origin may call.
      url: { cors: false },
      environment: { ...artifact.environment, DARKLENS_CORS_ORIGINS: '*' },
    });

    // The jobs' consumer: the same artifact and environment; failed records listed in the answer
    // (ReportBatchItemFailures) are retried alone, the rest of the batch is deleted.
    jobQueue.subscribe({ ...artifact, handler: 'index.jobs', timeout: JOB_TIMEOUT }, { batch: { size: JOB_BATCH, partialResponses: true } });

    const web = new sst.aws.StaticSite('Web', {
      path: 'web',
      build: { command: 'npx vite build', output: 'dist' },
      environment: { VITE_DARKLENS_API: scoring.url },
    });

    return { api: scoring.url, web: web.url, models: models.name, inputs: inputs.name, jobDeadLetters: deadLetters.url };
  },
});
