// One Lambda execution environment, for bench/lambda.mjs (not a benchmark itself: the name starts
// with '_'). Imports the built artifact's handler as the Lambda runtime does at init, invokes it with
// a function URL event (the cutout base64-encoded, as AWS sends binary bodies): once cold (the models
// load), then `warm` times in a row; then `warm / 4` batch requests (POST /v1/score/batch of an NPY
// stack). Prints one JSON line: init and first-request times, every warm request's time, and the
// process's peak resident memory.
//
//   node bench/_lambda-child.mjs ARTIFACT_DIR CUTOUT_FILE STACK_FILE WARM_COUNT
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [dir, cutout, stack, warm] = process.argv.slice(2);
const host = 'benchbenchbenchbenchbench0123456.lambda-url.us-east-1.on.aws';
const eventOf = (path, file, type) => ({
  version: '2.0',
  routeKey: '$default',
  rawPath: path,
  rawQueryString: '',
  headers: { host, 'content-type': type, 'x-forwarded-proto': 'https' },
  requestContext: { domainName: host, http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'bench' }, routeKey: '$default', stage: '$default' },
  body: readFileSync(file).toString('base64'),
  isBase64Encoded: true,
});
const event = eventOf('/v1/score', cutout, 'application/fits');
const batchEvent = eventOf('/v1/score/batch', stack, 'application/x-npy');
const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 30_000 };

// The handler logs JSON lines on stdout (CloudWatch); keep this process's stdout for the result.
process.stdout.write = () => true;
const print = (s) => process.stderr.write(`${s}\n`);

const t0 = performance.now();
const { handler } = await import(pathToFileURL(join(dir, 'index.mjs')).href);
const initMs = performance.now() - t0;
const first = await handler(event, context);
const firstMs = performance.now() - t0 - initMs;
if (first.statusCode !== 200) throw new Error(`cold request answered ${first.statusCode}: ${first.body.slice(0, 300)}`);
const models = Object.keys(JSON.parse(first.body).models);
const warmMs = [];
for (let i = 0; i < Number(warm); i++) {
  const t = performance.now();
  const r = await handler(event, context);
  warmMs.push(performance.now() - t);
  if (r.statusCode !== 200) throw new Error(`warm request ${i} answered ${r.statusCode}`);
}
const batchMs = [];
for (let i = 0; i < Math.ceil(Number(warm) / 4); i++) {
  const t = performance.now();
  const r = await handler(batchEvent, context);
  batchMs.push(performance.now() - t);
  if (r.statusCode !== 200) throw new Error(`batch request ${i} answered ${r.statusCode}`);
}
const status = readFileSync('/proc/self/status', 'utf8');
const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
print(`RESULT ${JSON.stringify({ initMs, firstMs, models, warmMs, batchMs, peakRssBytes: kb('VmHWM'), rssBytes: kb('VmRSS') })}`);
