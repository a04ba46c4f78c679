/**
 * A registry in an S3 bucket as a ModelSource (the Lambda adapter's models bucket). The sha256 of
 * every version file is checked by the ModelStore, as for the folder source; this source only fetches.
 *
 * Files are cached in memory for the life of the execution environment, so a warm invocation reads
 * nothing from S3. Each read of registry.json starts a new generation: a cached file is then
 * revalidated once with a conditional GET (If-None-Match, a 304 without a body when unchanged), so a
 * reload fetches only what changed, and a file rewritten in place is never served stale.
 */
import { GetObjectCommand, HeadObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { DarklensError, REGISTRY_FILE } from '@darklens/core';
import type { ModelSource } from '../app/model-source.js';

export interface S3SourceOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix of the registry in the bucket ("" or e.g. "models/"). */
  prefix?: string;
}

/** A source whose registry can be checked for change without reading it (see registry-poll.ts). */
export interface PolledSource extends ModelSource {
  /** The registry's version tag now (its ETag: one HEAD request). */
  registryTag(): Promise<string | undefined>;
  /** The tag of the registry.json last read, i.e. the one the served set was loaded from. */
  readonly loadedRegistryTag: string | undefined;
}

export interface S3ModelSource extends PolledSource {
  /** Object bodies downloaded so far (a 304 downloads none): a warm start adds none. */
  readonly downloads: number;
}

interface Cached {
  etag: string | undefined;
  bytes: Uint8Array;
  /** Registry generation in which it was last checked against the bucket. */
  generation: number;
}

function statusOf(e: unknown): number | undefined {
  return e instanceof S3ServiceException ? e.$metadata.httpStatusCode : undefined;
}

/** S3 failures as DarklensErrors that say which object and what to check. */
function s3Error(e: unknown, url: string): DarklensError {
  const status = statusOf(e);
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  if (status === 404 || (e instanceof S3ServiceException && e.name === 'NoSuchKey')) return new DarklensError('not_found', `${url} does not exist`, { cause: e });
  if (status === 403) return new DarklensError('unavailable', `access to ${url} is denied (the function's role needs s3:GetObject on the models bucket): ${detail}`, { cause: e });
  return new DarklensError('unavailable', `cannot read ${url}: ${detail}`, { cause: e });
}

export function s3Source(options: S3SourceOptions): S3ModelSource {
  const { client, bucket } = options;
  const prefix = options.prefix ?? '';
  const location = `s3://${bucket}/${prefix.replace(/\/+$/, '')}`;
  const cache = new Map<string, Cached>();
  let generation = 0;
  let loadedRegistryTag: string | undefined;
  let downloads = 0;

  const keyOf = (path: string): string => {
    if (path.startsWith('/') || path.split('/').includes('..')) throw new DarklensError('invalid_argument', `registry path ${path} leaves ${location}`);
    return `${prefix}${path}`;
  };

  /** GET the object; undefined when `etag` still matches (304). */
  async function get(key: string, etag?: string): Promise<{ bytes: Uint8Array; etag: string | undefined } | undefined> {
    try {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(etag === undefined ? {} : { IfNoneMatch: etag }) }));
      if (res.Body === undefined) throw new DarklensError('unavailable', `s3://${bucket}/${key} came back without a body`);
      const bytes = await res.Body.transformToByteArray();
      downloads++;
      return { bytes, etag: res.ETag };
    } catch (e) {
      if (etag !== undefined && statusOf(e) === 304) return undefined;
      if (e instanceof DarklensError) throw e;
      throw s3Error(e, `s3://${bucket}/${key}`);
    }
  }

  return {
    location,
    get loadedRegistryTag() {
      return loadedRegistryTag;
    },
    get downloads() {
      return downloads;
    },

    async read(path: string): Promise<Uint8Array> {
      const key = keyOf(path);
      if (path === REGISTRY_FILE) {
        const fresh = (await get(key))!;
        generation++;
        loadedRegistryTag = fresh.etag;
        return fresh.bytes;
      }
      const cached = cache.get(key);
      if (cached !== undefined && cached.generation === generation) return cached.bytes;
      const fresh = await get(key, cached?.etag);
      if (fresh === undefined) {
        cached!.generation = generation;
        return cached!.bytes;
      }
      cache.set(key, { ...fresh, generation });
      return fresh.bytes;
    },

    async registryTag(): Promise<string | undefined> {
      const key = keyOf(REGISTRY_FILE);
      try {
        return (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag;
      } catch (e) {
        throw s3Error(e, `s3://${bucket}/${key}`);
      }
    },
  };
}
