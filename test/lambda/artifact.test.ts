/**
 * `npm run build:lambda`: the deployment artifact builds offline, fits Lambda's 250 MB, carries only
 * onnxruntime's linux-x64 binary, and, copied away from the repository (so nothing resolves from its
 * node_modules), answers Lambda events in a fresh Node process: from the bundled models, and from a
 * models bucket (s3rver on 127.0.0.1) through the bundled AWS SDK.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ScoreResult } from '@darklens/functions';
import { ROOT } from '../helpers/cli.js';
import { lambdaEvent } from '../helpers/lambda.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';
import { fitsOf, post, shippedService, simulatedLenses, SHIPPED_MODELS } from '../helpers/service.js';

let dir: string;
let out: string;
let s3: LocalS3;

function run(file: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '', AWS_EC2_METADATA_DISABLED: 'true', ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.signal ?? Number(err.code)) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'functions', 'dist', 'lambda', 'main.js'))) throw new Error('functions is not built: run npx tsc -b first');
  dir = await mkdtemp(join(tmpdir(), 'darklens-lambda-artifact-'));
  out = join(dir, 'lambda');
  const built = await run(join(ROOT, 'scripts', 'build-lambda.mjs'), ['--out', out]);
  expect(built.code, built.stderr).toBe(0);
  s3 = await startLocalS3();
  await s3.putTree(SHIPPED_MODELS, 'models/');
}, 180_000);
afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

it('fits Lambda\'s 250 MB unzipped with onnxruntime-node\'s linux-x64 binary only', async () => {
  const sizes = JSON.parse(await readFile(`${out}.json`, 'utf8')) as { unzippedBytes: number; zippedBytes: number };
  expect(sizes.unzippedBytes).toBeLessThan(250e6);
  const zip = unzipSync(await readFile(`${out}.zip`));
  const names = Object.keys(zip);
  expect(names).toContain('index.mjs');
  expect(names).toContain('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1');
  expect(names).toContain('models/registry.json');
  expect(names.filter((n) => /\/(darwin|win32|arm64)\//.test(n))).toEqual([]);
  expect(sizes.zippedBytes).toBe((await readFile(`${out}.zip`)).length);
});

it('answers Lambda events from the bundled models and from a models bucket, scoring as the app in-process', async () => {
  const lens = simulatedLenses('spherical', 1, 41)[0]!;
  const event = await lambdaEvent(new Request('https://x.invalid/v1/score', { method: 'POST', body: fitsOf(lens) as Uint8Array<ArrayBuffer> }), 'function-url');
  await writeFile(join(dir, 'event.json'), JSON.stringify(event));
  // A fresh process: import the artifact's handler, invoke it once with the event, print the result.
  await writeFile(join(dir, 'invoke.mjs'), `import { readFileSync } from 'node:fs';
const { handler } = await import(${JSON.stringify(join(out, 'index.mjs'))});
const result = await handler(JSON.parse(readFileSync(${JSON.stringify(join(dir, 'event.json'))}, 'utf8')), {});
process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n');`);
  const node = await shippedService();
  const expected = (await (await post(node.app, '/v1/score', fitsOf(lens))).json()) as ScoreResult;
  node.store.close();

  const bucketEnv = { DARKLENS_MODELS_BUCKET: s3.bucket, DARKLENS_MODELS_PREFIX: 'models/', DARKLENS_S3_ENDPOINT: s3.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
  for (const [what, env] of [['bundled models', {}], ['models bucket', bucketEnv]] as const) {
    const r = await run(join(dir, 'invoke.mjs'), [], env);
    expect(r.code, `${what}: ${r.stderr}`).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    const result = JSON.parse(line!.slice(7)) as { statusCode: number; body: string };
    expect(result.statusCode, what).toBe(200);
    expect((JSON.parse(result.body) as ScoreResult).models, what).toEqual(expected.models);
    const loaded = r.stdout.split('\n').filter((l) => l.includes('"models loaded"')).map((l) => JSON.parse(l) as { registry: string });
    expect(loaded.map((l) => l.registry), what).toEqual([what === 'models bucket' ? `s3://${s3.bucket}/models` : join(out, 'models')]);
  }
});
