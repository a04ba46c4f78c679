/**
 * An R2 bucket as the jobs' BlobStore. R2 writes are atomic (a reader sees the whole object or
 * none), as the job layout needs. A listing returns at most 1000 keys a page (fewer when R2 says so),
 * so list() follows the cursor; delete() takes at most 1000 keys a call, so it goes in batches.
 * Type-only imports: the module loads on its own in workerd (the R2 tests run it so).
 */
import type { BlobStore } from '../app/jobs/blob-store.js';

/** The part of an R2 bucket binding the job store uses (Cloudflare's R2Bucket satisfies it). */
export interface JobBucket {
  put(key: string, value: ArrayBufferView | string): Promise<unknown>;
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
  list(options: { prefix: string; limit: number; cursor?: string }): Promise<{ objects: readonly { key: string }[]; truncated: boolean; cursor?: string }>;
  delete(keys: string[]): Promise<void>;
}

/** R2's most keys per list page and per delete call. */
const R2_PAGE = 1000;

export function r2BlobStore(bucket: JobBucket, bucketName: string): BlobStore {
  return {
    location: `r2://${bucketName}`,
    async put(key, body) {
      await bucket.put(key, body);
    },
    async get(key) {
      const object = await bucket.get(key);
      return object === null ? undefined : new Uint8Array(await object.arrayBuffer());
    },
    async list(prefix) {
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await bucket.list({ prefix, limit: R2_PAGE, ...(cursor === undefined ? {} : { cursor }) });
        for (const o of page.objects) keys.push(o.key);
        if (page.truncated && page.cursor === undefined) throw new Error(`r2://${bucketName}: a truncated listing of ${prefix} came without a cursor`);
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor !== undefined);
      // R2 lists in UTF-8 byte order; the contract is JavaScript's sort (the same for ASCII keys).
      return keys.sort();
    },
    async delete(keys) {
      for (let at = 0; at < keys.length; at += R2_PAGE) await bucket.delete(keys.slice(at, at + R2_PAGE));
    },
  };
}
