/**
 * A real S3-compatible server (s3rver) on 127.0.0.1 and the real AWS SDK client pointed at it, for the
 * S3 model source. No AWS endpoint or credential chain is ever reached: the client has static test
 * credentials and an explicit loopback endpoint, and the EC2 metadata lookup is disabled.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export interface LocalS3 {
  client: S3Client;
  endpoint: string;
  bucket: string;
  /** Uploads every file under `dir` to `prefix` + its relative path. */
  putTree(dir: string, prefix: string): Promise<number>;
  put(key: string, body: Uint8Array | string): Promise<void>;
  /** Keys written (PUT) so far, in the order the server stored them (its own event stream). */
  writes: string[];
  close(): Promise<void>;
}

export async function startLocalS3(bucket = 'darklens-models'): Promise<LocalS3> {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const directory = await mkdtemp(join(tmpdir(), 'darklens-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const writes: string[] = [];
  server.on('event', (e) => {
    for (const r of e.Records) if (r.eventName.startsWith('ObjectCreated:')) writes.push(decodeURIComponent(r.s3.object.key));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const put = async (key: string, body: Uint8Array | string): Promise<void> => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  };
  const files = async (dir: string): Promise<string[]> => {
    const out: string[] = [];
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) out.push(...(await files(full)));
      else out.push(full);
    }
    return out;
  };
  return {
    client,
    endpoint,
    bucket,
    put,
    writes,
    async putTree(dir, prefix) {
      const all = await files(dir);
      for (const f of all) await put(prefix + relative(dir, f).split(sep).join('/'), await readFile(f));
      return all.length;
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
