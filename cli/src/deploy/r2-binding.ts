/**
 * An R2 bucket binding as a deploy target: Miniflare's local R2 (what `wrangler dev` and the tests'
 * workerd read). Keys are the registry paths with no prefix, exactly what the Worker's model source
 * reads (functions/src/workers/r2-source.ts). R2 checks each upload against its sha256 and lists the
 * sha256 of what it holds, so nothing is compared by guesswork.
 */
import type { DeployTarget, HeldObject } from './target.js';

/** The part of an R2 bucket binding a deploy uses (Miniflare's getR2Bucket() gives one). */
export interface R2BucketBinding {
  list(options?: { cursor?: string }): Promise<{ objects: { key: string; size: number; checksums: { toJSON(): { md5?: string; sha256?: string } } }[]; truncated: boolean; cursor?: string }>;
  put(key: string, value: Uint8Array, options?: { sha256?: string; httpMetadata?: { contentType?: string } }): Promise<unknown>;
  delete(key: string): Promise<void>;
}

export function r2BindingTarget(bucket: R2BucketBinding, location: string, close: () => Promise<void> = () => Promise.resolve()): DeployTarget {
  return {
    location,
    async list() {
      const held = new Map<string, HeldObject>();
      let cursor: string | undefined;
      do {
        const page = await bucket.list(cursor === undefined ? {} : { cursor });
        for (const obj of page.objects) {
          const { md5, sha256 } = obj.checksums.toJSON();
          held.set(obj.key, { size: obj.size, ...(md5 === undefined ? {} : { md5 }), ...(sha256 === undefined ? {} : { sha256 }) });
        }
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor !== undefined);
      return held;
    },
    async put(key, bytes, sha256) {
      await bucket.put(key, bytes, { sha256 });
    },
    remove: (key) => bucket.delete(key),
    close,
  };
}
