/**
 * `darklens models deploy|promote|rollback --target aws` through the BUILT CLI against a real
 * S3-compatible server (s3rver on 127.0.0.1) with the real AWS SDK, and the Lambda's own S3 model
 * source reading what it published. The server's event stream gives the order objects were stored in.
 */
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type ModelStore } from '@darklens/functions';
import { s3Source } from '@darklens/functions/lambda';
import { ortNodeEngine } from '@darklens/functions/node';
import { deployRegistry, openTarget } from '@darklens/cli/deploy';
import { expectBadInput, expectOk, requireBuiltCli, runCli } from '../helpers/cli.js';
import { defaultOf, MODEL, smallRegistry } from '../helpers/deploy.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';
import { NEW_VERSION, SHIPPED_VERSION } from '../helpers/service.js';

const PREFIX = 'models/';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_EC2_METADATA_DISABLED: 'true' };
let s3: LocalS3;
let dir: string;
let registry: string;
let store: ModelStore;
const cli = (...args: string[]) => runCli(['models', ...args, '--registry', registry, '--target', 'aws', '--bucket', s3.bucket, '--prefix', PREFIX, '--endpoint', s3.endpoint], dir, 120_000, CREDENTIALS);

/** The version of MODEL the Lambda's S3 source serves after a registry reload. */
async function served(): Promise<string> {
  return (await store.reload()).model(MODEL).version;
}

beforeAll(async () => {
  requireBuiltCli();
  dir = await mkdtemp(join(tmpdir(), 'darklens-deploy-aws-'));
  registry = await smallRegistry(join(dir, 'registry'));
  s3 = await startLocalS3();
}, 120_000);
afterAll(async () => {
  store?.close();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('darklens models deploy --target aws', () => {
  it('--dry-run prints every upload, registry.json last, and leaves the bucket untouched', async () => {
    const r = await cli('deploy', '--dry-run');
    expectOk(r);
    const puts = r.stdout.split('\n').filter((l) => l.startsWith('PUT  '));
    expect(puts).toHaveLength(19); // rbm's three versions of six files, and registry.json
    expect(puts.at(-1)).toMatch(/^PUT {2}registry\.json {2}\d+ bytes {2}sha256 [0-9a-f]{64} {2}\(missing, last/);
    expect(r.stdout).toMatch(new RegExp(`^target s3://${s3.bucket}/${PREFIX}\n`));
    expect(r.stdout).toMatch(/\ndry run: nothing was uploaded\n$/);
    expect(s3.writes).toEqual([]);
  });

  it('uploads the files and then registry.json, which the Lambda\'s S3 source loads', async () => {
    expectOk(await cli('deploy'));
    expect(s3.writes).toHaveLength(19);
    expect(s3.writes.at(-1)).toBe(`${PREFIX}registry.json`);
    expect(s3.writes.every((k) => k.startsWith(PREFIX))).toBe(true);
    const service = createService({ source: s3Source({ client: s3.client, bucket: s3.bucket, prefix: PREFIX }), engine: ortNodeEngine() });
    store = service.store;
    await service.ready;
    expect(store.current().model(MODEL).version).toBe(SHIPPED_VERSION);
  });

  it('promote and rollback publish registry.json alone, and the function serves each default in turn', async () => {
    s3.writes.length = 0;
    const promoted = await cli('promote', MODEL, NEW_VERSION);
    expectOk(promoted);
    expect(promoted.stdout).toMatch(new RegExp(`^skip ${MODEL}/${SHIPPED_VERSION}/model\\.onnx`, 'm'));
    expect(s3.writes).toEqual([`${PREFIX}registry.json`]);
    expect(await defaultOf(registry)).toBe(NEW_VERSION);
    expect(await served()).toBe(NEW_VERSION);

    const back = await cli('rollback', MODEL);
    expectOk(back);
    expect(back.stdout).toContain(`${MODEL}: default ${NEW_VERSION} -> ${SHIPPED_VERSION}`);
    expect(s3.writes).toEqual([`${PREFIX}registry.json`, `${PREFIX}registry.json`]);
    expect(await served()).toBe(SHIPPED_VERSION);
  });

  it('a promote to a version the bucket lost uploads its files first; a dry run of it changes nothing', async () => {
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}${MODEL}/v1/model.onnx` }));
    s3.writes.length = 0;
    const dry = await cli('promote', MODEL, 'v1', '--dry-run');
    expectOk(dry);
    expect(dry.stdout.split('\n').filter((l) => l.startsWith('PUT  ')).map((l) => l.split(/\s+/)[1])).toEqual([`${MODEL}/v1/model.onnx`, 'registry.json']);
    expect(dry.stdout).toContain(`(not done: ${MODEL}: default is now v1)`);
    expect(await defaultOf(registry), 'the dry run left the local registry as it was').toBe(SHIPPED_VERSION);
    expect(s3.writes).toEqual([]);

    expectOk(await cli('promote', MODEL, 'v1'));
    expect(s3.writes).toEqual([`${PREFIX}${MODEL}/v1/model.onnx`, `${PREFIX}registry.json`]);
    expect(await served()).toBe('v1');
    expectOk(await cli('rollback', MODEL));
    expect(await served()).toBe(SHIPPED_VERSION);
  });

  it('refuses with a clear message: no bucket, a bucket that is not there, an unreachable endpoint, refused credentials', async () => {
    await expect(openTarget({ target: 'aws' }, registry, false, CREDENTIALS)).rejects.toThrow('--target aws needs --bucket NAME');
    await expect(openTarget({ target: 'aws', bucket: 'b' }, registry, false, {})).rejects.toThrow(/no credentials for s3:\/\/b\/: .*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    await expect(openTarget({ target: 'aws', bucket: 'b', dir: 'x' }, registry, false, CREDENTIALS)).rejects.toThrow('--dir does not apply to --target aws');

    const closed = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    const deploy = async (o: { bucket?: string; endpoint?: string; prefix?: string }, env = CREDENTIALS): Promise<unknown> => {
      const target = await openTarget({ target: 'aws', bucket: o.bucket ?? s3.bucket, endpoint: o.endpoint ?? s3.endpoint, ...(o.prefix === undefined ? {} : { prefix: o.prefix }) }, registry, false, env);
      return deployRegistry({ registryDir: registry, target }).finally(() => ('close' in target ? target.close() : undefined));
    };
    await expect(deploy({ bucket: 'no-such-bucket' })).rejects.toThrow(`bucket no-such-bucket does not exist at ${s3.endpoint}`);
    await expect(deploy({ endpoint: `http://127.0.0.1:${closed}` })).rejects.toThrow(`cannot reach http://127.0.0.1:${closed}`);
    await expect(deploy({}, { ...CREDENTIALS, AWS_ACCESS_KEY_ID: 'nobody' })).rejects.toThrow(/refused list .*InvalidAccessKeyId.*AWS_ACCESS_KEY_ID/);
    await expect(deploy({ prefix: 'models' })).rejects.toThrow('--prefix models: end it with "/"');

    // A promote whose target cannot be reached leaves the local registry as it was.
    const r = await runCli(['models', 'promote', MODEL, NEW_VERSION, '--registry', registry, '--target', 'aws', '--bucket', s3.bucket, '--endpoint', `http://127.0.0.1:${closed}`], dir, 60_000, CREDENTIALS);
    expectBadInput(r, `cannot reach http://127.0.0.1:${closed}`);
    expect(await defaultOf(registry)).toBe(SHIPPED_VERSION);
  });

  it('--target cloudflare speaks R2\'s S3 API the same way, at the bucket\'s root where the Worker reads', async () => {
    s3.writes.length = 0;
    const target = await openTarget({ target: 'cloudflare', bucket: s3.bucket, endpoint: s3.endpoint }, registry, false, { R2_ACCESS_KEY_ID: 'S3RVER', R2_SECRET_ACCESS_KEY: 'S3RVER' });
    try {
      await deployRegistry({ registryDir: registry, target, only: [MODEL] });
    } finally {
      if ('close' in target) await target.close();
    }
    expect(s3.writes).toHaveLength(19);
    expect(s3.writes.at(-1)).toBe('registry.json');
    expect(s3.writes).toContain(`${MODEL}/${NEW_VERSION}/model.onnx`);
  });
});
