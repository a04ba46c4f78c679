/**
 * Where each fact of a job lives in its BlobStore. Everything of job J is under `jobs/J/`, so a job is
 * removed by deleting one prefix; `index/` lists every job with its expiry in the key, so the sweep
 * of expired jobs reads a listing and no job files.
 */
const pad = (n: number): string => String(n).padStart(6, '0');

export const jobPrefix = (id: string): string => `jobs/${id}/`;
export const manifestKey = (id: string): string => `jobs/${id}/job.json`;
export const cancelledKey = (id: string): string => `jobs/${id}/cancelled`;
export const driftKey = (id: string): string => `jobs/${id}/drift.json`;
export const inputKey = (id: string, chunk: number): string => `jobs/${id}/in/${pad(chunk)}`;
export const resultKey = (id: string, chunk: number): string => `jobs/${id}/out/${pad(chunk)}.ndjson`;
export const attemptPrefix = (id: string, chunk: number): string => `jobs/${id}/attempts/${pad(chunk)}-`;
export const attemptKey = (id: string, chunk: number, attempt: number): string => `${attemptPrefix(id, chunk)}${attempt}`;
export const donePrefix = (id: string): string => `jobs/${id}/done/`;

export const INDEX_PREFIX = 'index/';
export const indexKey = (id: string, expiresAt: number): string => `${INDEX_PREFIX}${String(expiresAt).padStart(15, '0')}-${id}`;

export function parseIndexKey(key: string): { id: string; expiresAt: number } | undefined {
  const m = /^index\/(\d{15})-([a-z0-9]+)$/.exec(key);
  return m === null ? undefined : { id: m[2]!, expiresAt: Number(m[1]) };
}

/** What a finished chunk counted: written into its marker's key, so a status is one listing. */
export interface ChunkCounts {
  /** Items of the chunk (every one got a result line). */
  items: number;
  scored: number;
  failed: number;
  outOfDomain: number;
  flagged: number;
}

export const doneKey = (id: string, chunk: number, c: ChunkCounts): string =>
  `${donePrefix(id)}${pad(chunk)}-${c.items}-${c.scored}-${c.failed}-${c.outOfDomain}-${c.flagged}`;

export function parseDoneKey(key: string): { chunk: number; counts: ChunkCounts } | undefined {
  const m = /\/done\/(\d{6})-(\d+)-(\d+)-(\d+)-(\d+)-(\d+)$/.exec(key);
  if (m === null) return undefined;
  const [items, scored, failed, outOfDomain, flagged] = m.slice(2).map(Number) as [number, number, number, number, number];
  return { chunk: Number(m[1]), counts: { items, scored, failed, outOfDomain, flagged } };
}

/** A new job id: time-ordered (base 36 milliseconds) and 80 random bits, so ids are unguessable. */
export function newJobId(now = Date.now()): string {
  const random = crypto.getRandomValues(new Uint8Array(10));
  return `${now.toString(36).padStart(9, '0')}${[...random].map((b) => b.toString(36).padStart(2, '0')).join('')}`;
}
