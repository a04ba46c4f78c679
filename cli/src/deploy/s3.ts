/**
 * A bucket reached through the S3 API (AWS S3, or R2's S3-compatible endpoint) as a deploy target.
 * Keys are `prefix + registry path`, exactly what the Lambda's model source reads
 * (functions/src/lambda/s3-source.ts). Each upload carries the file's sha256, which S3 verifies
 * against the bytes it receives and keeps beside the object.
 */
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { DarklensError } from '@darklens/core';
import type { DeployTarget, HeldObject } from './target.js';

export interface S3TargetOptions {
  client: S3Client;
  bucket: string;
  /** "" or a prefix ending in "/". */
  prefix: string;
  /** The endpoint, for messages (the client's own, or the region's). */
  endpoint: string;
  /** What to tell a user whose credentials are refused. */
  credentialsHint: string;
  /** For messages (default s3://bucket/prefix). */
  location?: string;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** "http(s)://..." or a clear refusal. */
export function endpointUrl(endpoint: string): string {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new DarklensError('invalid_argument', `--endpoint ${endpoint}: give an http:// or https:// URL`);
  return endpoint.replace(/\/+$/, '');
}

/**
 * A client with the given credentials and nothing else: the SDK's credential chain (profiles, SSO,
 * the EC2 metadata service) is never consulted.
 */
export function s3Client(o: { region: string; credentials: S3Credentials; endpoint?: string }): S3Client {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  // The pinned SDK works on Node 20; its notice about future releases needing Node 22 is not the user's concern here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    region: o.region,
    credentials: o.credentials,
    followRegionRedirects: true,
    ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint, forcePathStyle: true }),
  });
}

const CONTENT_TYPES: Record<string, string> = { json: 'application/json', md: 'text/markdown; charset=utf-8', png: 'image/png', onnx: 'application/octet-stream' };

/** An S3 failure as a DarklensError that names the bucket or endpoint and what to check. */
export function s3Failure(e: unknown, o: Pick<S3TargetOptions, 'bucket' | 'endpoint' | 'credentialsHint'>, what: string): DarklensError {
  if (e instanceof DarklensError) return e;
  const status = e instanceof S3ServiceException ? e.$metadata.httpStatusCode : undefined;
  const name = e instanceof Error ? e.name : '';
  const detail = e instanceof Error ? e.message : String(e);
  if (name === 'NoSuchBucket') return new DarklensError('not_found', `bucket ${o.bucket} does not exist at ${o.endpoint} (create it, or name another with --bucket)`, { cause: e });
  if (status === 403 || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'AccessDenied') {
    return new DarklensError('unauthorized', `${o.endpoint} refused ${what} in bucket ${o.bucket} (${name}: ${detail}); ${o.credentialsHint}`, { cause: e });
  }
  if (status === undefined) return new DarklensError('unavailable', `cannot reach ${o.endpoint} to ${what} (${detail}): check the endpoint and the network`, { cause: e });
  return new DarklensError('unavailable', `${o.endpoint} failed to ${what} in bucket ${o.bucket}: ${name} ${status}: ${detail}`, { cause: e });
}

/** The MD5 an ETag states (single-part uploads); undefined for multipart or encrypted objects' ETags. */
const md5Of = (etag: string | undefined): string | undefined => /^"?([0-9a-f]{32})"?$/.exec(etag ?? '')?.[1];

export function s3Target(o: S3TargetOptions): DeployTarget {
  const { client, bucket, prefix } = o;
  const fail = (e: unknown, what: string): DarklensError => s3Failure(e, o, what);
  return {
    location: o.location ?? `s3://${bucket}/${prefix}`,
    async list() {
      const held = new Map<string, HeldObject>();
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token === undefined ? {} : { ContinuationToken: token }) })).catch((e: unknown) => {
          throw fail(e, `list s3://${bucket}/${prefix}`);
        });
        for (const obj of page.Contents ?? []) {
          if (obj.Key === undefined) continue;
          const md5 = md5Of(obj.ETag);
          held.set(obj.Key.slice(prefix.length), { size: obj.Size ?? 0, ...(md5 === undefined ? {} : { md5 }) });
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return held;
    },
    async sha256Of(key) {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + key, ChecksumMode: 'ENABLED' })).catch((e: unknown) => {
        throw fail(e, `read s3://${bucket}/${prefix}${key}`);
      });
      // A checksum of parts ("...-3") is not the file's sha256.
      const b64 = head.ChecksumSHA256;
      return b64 === undefined || b64.includes('-') ? undefined : Buffer.from(b64, 'base64').toString('hex');
    },
    async put(key, bytes, sha256) {
      const type = CONTENT_TYPES[key.split('.').at(-1) ?? ''] ?? 'application/octet-stream';
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: bytes, ContentType: type, ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64') })).catch((e: unknown) => {
        throw fail(e, `write s3://${bucket}/${prefix}${key}`);
      });
    },
    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: prefix + key })).catch((e: unknown) => {
        throw fail(e, `delete s3://${bucket}/${prefix}${key}`);
      });
    },
    close() {
      client.destroy();
      return Promise.resolve();
    },
  };
}
