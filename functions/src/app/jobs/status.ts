/** A job's state and counts, from its manifest and one listing of its done markers. */
import type { BlobStore } from './blob-store.js';
import { cancelledKey, donePrefix, parseDoneKey, type ChunkCounts } from './layout.js';
import type { JobManifest } from './manifest.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'cancelled';

export interface JobStatus {
  id: string;
  state: JobState;
  createdAt: string;
  expiresAt: string;
  /** Cutouts in all (null for object keys until every chunk has run: a key may hold a stack). */
  items: number | null;
  chunks: { total: number; done: number };
  /** Over the finished chunks: every processed cutout is scored or failed. */
  counts: ChunkCounts;
  /** Finished share of the chunks, 0 to 1. */
  progress: number;
  /** Seconds left at the rate so far (null before the first chunk finishes, and once the job has ended). */
  etaSeconds: number | null;
  query: Record<string, string>;
  source: JobManifest['source'];
}

export interface JobProgress {
  /** Finished chunks by number. */
  done: Map<number, ChunkCounts>;
  cancelled: boolean;
}

export async function readProgress(store: BlobStore, id: string): Promise<JobProgress> {
  const [keys, cancelled] = await Promise.all([store.list(donePrefix(id)), store.get(cancelledKey(id))]);
  const done = new Map<number, ChunkCounts>();
  for (const k of keys) {
    const d = parseDoneKey(k);
    if (d !== undefined) done.set(d.chunk, d.counts);
  }
  return { done, cancelled: cancelled !== undefined };
}

export function jobStatus(m: JobManifest, p: JobProgress, now = Date.now()): JobStatus {
  const counts: ChunkCounts = { items: 0, scored: 0, failed: 0, outOfDomain: 0, flagged: 0 };
  for (const c of p.done.values()) for (const k of Object.keys(counts) as (keyof ChunkCounts)[]) counts[k] += c[k];
  const finished = p.done.size === m.chunks;
  const state: JobState = finished ? 'succeeded' : p.cancelled ? 'cancelled' : p.done.size === 0 ? 'queued' : 'running';
  const progress = m.chunks === 0 ? 1 : p.done.size / m.chunks;
  const elapsed = (now - Date.parse(m.createdAt)) / 1000;
  const eta = state === 'running' && progress > 0 ? (elapsed * (1 - progress)) / progress : null;
  return {
    id: m.id,
    state,
    createdAt: m.createdAt,
    expiresAt: new Date(m.expiresAt).toISOString(),
    items: finished ? counts.items : m.items,
    chunks: { total: m.chunks, done: p.done.size },
    counts,
    progress,
    etaSeconds: eta === null ? null : Math.round(eta),
    query: m.query,
    source: m.source,
  };
}
