/**
 * The model registry in an R2 bucket as a ModelSource: the keys are the registry's paths
 * (`registry.json`, `dcae/v1/model.onnx`, ...), as `darklens models deploy --target cloudflare` writes them. The sha256
 * of every file is checked by the model store, as for the folder source.
 */
import { DarklensError } from '@darklens/core';
import type { ModelSource } from '../app/model-source.js';
import type { ModelBucket } from './env.js';

export interface R2ModelSource extends ModelSource {
  /** The ETag of `path` now, or undefined when it is not in the bucket (a cheap HEAD). */
  etag(path: string): Promise<string | undefined>;
}

export function r2Source(bucket: ModelBucket, bucketName: string): R2ModelSource {
  const location = `r2://${bucketName}`;
  return {
    location,
    async read(path: string): Promise<Uint8Array> {
      const object = await bucket.get(path);
      if (object === null) throw new DarklensError('not_found', `${location}/${path} does not exist`);
      return new Uint8Array(await object.arrayBuffer());
    },
    async etag(path: string): Promise<string | undefined> {
      return (await bucket.head(path))?.etag;
    },
  };
}
