/**
 * The S3 job store against a real S3-compatible server (s3rver on 127.0.0.1) with the real AWS SDK:
 * objects round-trip byte for byte, a missing key is undefined, listings page past S3's 1,000 keys a
 * response and come back sorted, deletes go 1,000 keys a request, a key prefix keeps the store in its
 * part of the bucket, and a missing bucket is an error, not an empty store.
 *
 * s3rver 3.7.1 makes its continuation tokens with single DES, which OpenSSL 3 keeps in its legacy
 * provider: in a plain Node process every listing past 1,000 keys fails with a 500. So this file runs
 * s3rver in a child process started with --openssl-legacy-provider (tied to it by stdin: it exits
 * when this process does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDarklensError } from '@darklens/core';
import type { BlobStore } from '@darklens/functions';
import { s3BlobStore } from '@darklens/functions/lambda';
import { ROOT } from '../helpers/cli.js';

const BUCKET = 'darklens-jobs';
const SERVER = `
import S3rver from 's3rver';
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: process.argv[1], configureBuckets: [{ name: process.argv[2] }] });
const { port } = await server.run();
process.stdout.write(JSON.stringify({ port }) + '\\n');
process.stdin.on('end', () => server.close().then(() => process.exit(0)));
process.stdin.resume();
`;

let child: ChildProcess;
let directory: string;
let s3: { client: S3Client; bucket: string };
beforeAll(async () => {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  directory = await mkdtemp(join(tmpdir(), 'darklens-s3-blobs-'));
  child = spawn(process.execPath, ['--openssl-legacy-provider', '--input-type=module', '-e', SERVER, directory, BUCKET], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  const client = new S3Client({ endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  s3 = { client, bucket: BUCKET };
}, 120_000);
afterAll(async () => {
  s3?.client.destroy();
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((done) => child.once('exit', done));
    child.stdin!.end();
    await exited;
  }
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

async function putAll(store: BlobStore, keys: string[]): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < keys.length) {
      const k = keys[next++]!;
      await store.put(k, k);
    }
  }));
}

describe('s3BlobStore', () => {
  it('puts and gets bytes and text, replaces objects, and gives undefined for a missing key', async () => {
    const store = s3BlobStore({ client: s3.client, bucket: s3.bucket });
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 7919) % 256);
    await store.put('jobs/a/in/000000', bytes);
    await store.put('jobs/a/job.json', '{"id":"a"}');
    await store.put('jobs/a/done/000000-1-1-0-0-0', '');
    expect(await store.get('jobs/a/in/000000')).toEqual(bytes);
    expect(new TextDecoder().decode(await store.get('jobs/a/job.json'))).toBe('{"id":"a"}');
    expect(await store.get('jobs/a/done/000000-1-1-0-0-0')).toEqual(new Uint8Array());
    await store.put('jobs/a/job.json', '{"id":"b"}');
    expect(new TextDecoder().decode(await store.get('jobs/a/job.json'))).toBe('{"id":"b"}');
    expect(await store.get('jobs/a/missing')).toBeUndefined();
    expect(await store.list('jobs/a/')).toEqual(['jobs/a/done/000000-1-1-0-0-0', 'jobs/a/in/000000', 'jobs/a/job.json']);
    expect(await store.list('jobs/a/do')).toEqual(['jobs/a/done/000000-1-1-0-0-0']);
    expect(await store.list('jobs/none/')).toEqual([]);
    await store.delete(await store.list('jobs/a/'));
    expect(await store.list('jobs/a/')).toEqual([]);
  });

  it('lists past 1,000 keys (ListObjectsV2 pages), sorted, and deletes them 1,000 a request', async () => {
    const store = s3BlobStore({ client: s3.client, bucket: s3.bucket });
    const keys = Array.from({ length: 1_500 }, (_, i) => `jobs/big/out/${String(i).padStart(6, '0')}.ndjson`);
    await putAll(store, [...keys].reverse());
    // One response holds at most 1,000 keys: the store must follow the continuation tokens.
    const first = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'jobs/big/' }));
    expect(first.Contents).toHaveLength(1000);
    expect(first.IsTruncated).toBe(true);
    expect(await store.list('jobs/big/')).toEqual(keys);

    let deleteRequests = 0;
    s3.client.middlewareStack.add((next, context) => (args) => {
      if (context.commandName === 'DeleteObjectsCommand') deleteRequests++;
      return next(args);
    }, { step: 'initialize', name: 'countDeletes' });
    try {
      await store.delete([...keys, 'jobs/big/never-written']);
    } finally {
      s3.client.middlewareStack.remove('countDeletes');
    }
    expect(deleteRequests).toBe(2); // 1,501 keys
    expect(await store.list('jobs/big/')).toEqual([]);
    await store.delete([]);
  });

  it('keeps to its key prefix inside the bucket', async () => {
    const inner = s3BlobStore({ client: s3.client, bucket: s3.bucket, prefix: 'stage-a/' });
    const whole = s3BlobStore({ client: s3.client, bucket: s3.bucket });
    expect(inner.location).toBe(`s3://${s3.bucket}/stage-a/`);
    await inner.put('index/000000000000001-x', '');
    await whole.put('index/000000000000002-y', '');
    expect(await inner.list('index/')).toEqual(['index/000000000000001-x']);
    expect(await whole.list('stage-a/')).toEqual(['stage-a/index/000000000000001-x']);
    expect(await inner.get('index/000000000000001-x')).toEqual(new Uint8Array());
    await inner.delete(['index/000000000000001-x', 'index/000000000000002-y']);
    expect(await whole.list('')).toEqual(['index/000000000000002-y']);
    await whole.delete(['index/000000000000002-y']);
  });

  it('fails with a 503 naming the bucket when the bucket does not exist', async () => {
    const store = s3BlobStore({ client: s3.client, bucket: 'no-such-bucket' });
    for (const op of [() => store.get('jobs/x/job.json'), () => store.list('jobs/'), () => store.put('k', 'v')]) {
      const err = await op().then(() => undefined, (e: unknown) => e);
      expect(isDarklensError(err) && err.code).toBe('unavailable');
      expect((err as Error).message).toMatch(/s3:\/\/no-such-bucket\/.*NoSuchBucket/);
    }
  });
});
