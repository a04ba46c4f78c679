/**
 * Where jobs keep their inputs, results and state: a flat key-value store of byte objects (a folder
 * on the Node server, an S3 bucket on AWS, an R2 bucket on Cloudflare). Every job fact is an object
 * written once and never updated in place, so no store needs transactions: a put is atomic (readers
 * see the whole object or none), and whatever a listing shows is final.
 */
export interface BlobStore {
  /** For messages, e.g. the folder or bucket. */
  readonly location: string;
  /** Writes (or replaces) an object; atomic for readers. */
  put(key: string, body: Uint8Array | string): Promise<void>;
  /** The object's bytes, or undefined when it does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every key that starts with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes the objects (missing ones are no error). */
  delete(keys: string[]): Promise<void>;
}

const decoder = new TextDecoder();

/** A JSON object of the store, or undefined when it does not exist. */
export async function getJson<T>(store: BlobStore, key: string): Promise<T | undefined> {
  const bytes = await store.get(key);
  return bytes === undefined ? undefined : (JSON.parse(decoder.decode(bytes)) as T);
}

/** A store in memory: for one process that needs no persistence (and the unit tests of the job logic). */
export function memoryBlobStore(): BlobStore {
  const objects = new Map<string, Uint8Array>();
  const encoder = new TextEncoder();
  return {
    location: 'memory',
    put(key, body) {
      objects.set(key, typeof body === 'string' ? encoder.encode(body) : body.slice());
      return Promise.resolve();
    },
    get(key) {
      return Promise.resolve(objects.get(key)?.slice());
    },
    list(prefix) {
      return Promise.resolve([...objects.keys()].filter((k) => k.startsWith(prefix)).sort());
    },
    delete(keys) {
      for (const k of keys) objects.delete(k);
      return Promise.resolve();
    },
  };
}
