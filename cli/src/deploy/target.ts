/**
 * Where a registry is published: a storage a serving runtime reads registry.json and the version files
 * from, under the same paths as the registry folder (`registry.json`, `<model>/<version>/<file>`).
 * A target states facts (what it holds, how big, which hashes it knows); plan.ts decides what to send.
 */

/** What a target holds under one key, as far as it can tell without downloading it. */
export interface HeldObject {
  size: number;
  /** hex, when the store keeps it (R2 does; S3 with a checksum uploaded beside the object). */
  sha256?: string;
  /** hex, when the store says it (an S3 or R2 ETag of a single-part upload is the MD5). */
  md5?: string;
}

export interface DeployTarget {
  /** Where it publishes, for messages: `s3://bucket/prefix/`, `r2://bucket`, a folder. */
  readonly location: string;
  /** Every object under the registry's root, by registry path. */
  list(): Promise<Map<string, HeldObject>>;
  /** The sha256 (hex) of one object when the listing did not give it and the target can tell; else undefined. */
  sha256Of?(key: string): Promise<string | undefined>;
  /** Writes one object whole (a reader sees the old object or the new one, never a part). */
  put(key: string, bytes: Uint8Array, sha256: string): Promise<void>;
  remove(key: string): Promise<void>;
  /** Releases connections or processes the target holds. */
  close(): Promise<void>;
}
