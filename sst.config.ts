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

    /** What every function of the stack runs: the one artifact, on x86_64 (onnxruntime aborts on arm64 Lambda). */
    const artifact = {
      bundle: 'out/lambda',
      runtime: 'nodejs22.x',
      architecture: 'x86_64',
      memory: MEMORY,
      link: [models],
      environment: {
        DARKLENS_MODELS_BUCKET: models.name,
        DARKLENS_API_KEYS: apiKeys.value,
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

    // Batch jobs (later): a queue and a function on the same artifact, e.g.
    //   const jobs = new sst.aws.Queue('Jobs');
    //   jobs.subscribe({ ...artifact, handler: 'index.job', timeout: '15 minutes' });

    const web = new sst.aws.StaticSite('Web', {
      path: 'web',
      build: { command: 'npx vite build', output: 'dist' },
      environment: { VITE_DARKLENS_API: scoring.url },
    });

    return { api: scoring.url, web: web.url, models: models.name };
  },
});
