/**
 * An S3 bucket as a BlobStore (the Lambda adapter's job store, and its inputs bucket for keys jobs).
 * A PUT is atomic in S3 (readers see the old object, the new one or none, never part of one), and
 * S3 lists are strongly consistent, so the job layout's "written once, final when listed" holds.
 */
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { DarklensError } from '@darklens/core';
import type { BlobStore } from '../app/jobs/blob-store.js';

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix inside the bucket ("" or e.g. "darklens/"); the store's keys are relative to it. */
  prefix?: string;
}

/** DeleteObjects takes at most 1,000 keys a request. */
export const S3_DELETE_BATCH = 1000;

/** Only NoSuchKey: a missing bucket (NoSuchBucket, also a 404) is a deployment error, not an absent object. */
const isMissing = (e: unknown): boolean => e instanceof S3ServiceException && e.name === 'NoSuchKey';

export function s3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const { client, bucket } = options;
  const prefix = options.prefix ?? '';
  const location = `s3://${bucket}/${prefix}`;

  /** An S3 failure as a 503 that names the object and the permission to check. */
  const fail = (e: unknown, action: string, key: string): DarklensError => {
    const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    const denied = e instanceof S3ServiceException && e.$metadata.httpStatusCode === 403 ? ` (the function's role needs ${action} on ${bucket})` : '';
    return new DarklensError('unavailable', `${action} s3://${bucket}/${prefix}${key} failed${denied}: ${detail}`, { cause: e });
  };

  return {
    location,

    async put(key, body) {
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: body }));
      } catch (e) {
        throw fail(e, 's3:PutObject', key);
      }
    },

    async get(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + key }));
        return res.Body === undefined ? new Uint8Array() : await res.Body.transformToByteArray();
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw fail(e, 's3:GetObject', key);
      }
    },

    async list(keyPrefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix + keyPrefix, ...(token === undefined ? {} : { ContinuationToken: token }) }));
        } catch (e) {
          throw fail(e, 's3:ListBucket', keyPrefix);
        }
        for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key.slice(prefix.length));
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      // S3 orders by UTF-8 bytes; the interface promises JavaScript's order.
      return keys.sort();
    },

    async delete(keys) {
      for (let at = 0; at < keys.length; at += S3_DELETE_BATCH) {
        const batch = keys.slice(at, at + S3_DELETE_BATCH);
        let res;
        try {
          res = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((k) => ({ Key: prefix + k })), Quiet: true } }));
        } catch (e) {
          throw fail(e, 's3:DeleteObject', batch[0]!);
        }
        // A 200 may still name keys it could not delete (missing keys are no error in S3).
        const err = res.Errors?.[0];
        if (err !== undefined) throw fail(new Error(`${err.Code ?? 'error'}: ${err.Message ?? ''} (${res.Errors!.length} of ${batch.length} keys)`), 's3:DeleteObject', (err.Key ?? '').slice(prefix.length));
      }
    },
  };
}
