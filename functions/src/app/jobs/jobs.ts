/**
 * Jobs: survey-scale scoring that outlives a connection. A job is accepted (its work cut into chunks
 * and written to the store), its chunks are queued, consumers score them (process-chunk.ts), and
 * the status and results are read back from the store at any time until the job expires. Every
 * runtime runs this same code; they differ only in their BlobStore and JobQueue.
 */
import { DarklensError, type DriftSummary } from '@darklens/core';
import type { ServiceLimits } from '../config.js';
import { DriftWatch } from '../drift.js';
import type { UploadedFile } from '../inputs.js';
import { decodeOptions } from '../inputs.js';
import type { ModelStore } from '../model-store.js';
import type { ScoreResult } from '../schemas.js';
import { parseScoreQuery } from '../score-options.js';
import type { BlobStore } from './blob-store.js';
import { keyChunks, packChunks, uploadPieces } from './intake.js';
import type { ChunkMessage, JobQueue } from './job-queue.js';
import { getJson } from './blob-store.js';
import { cancelledKey, driftKey, INDEX_PREFIX, indexKey, inputKey, jobPrefix, manifestKey, newJobId, parseIndexKey } from './layout.js';
import { encodeChunkInput, readManifest, type ChunkSource, type JobManifest } from './manifest.js';
import { processChunk, recordChunkFailure, type ChunkOutcome } from './process-chunk.js';
import { readyChunks, resultStream, storedLines, type ResultFormat } from './results.js';
import { jobStatus, readProgress, type JobStatus } from './status.js';

export interface JobSettings {
  /** How long a job and its results are kept after acceptance (ms). */
  retentionMs: number;
  /** Cutouts per chunk of an upload. */
  chunkSize: number;
  /** Object keys per chunk of a keys job. */
  keysPerChunk: number;
  /** Most cutouts (or keys) in one job. */
  maxItems: number;
  /** Attempts at a chunk before it is recorded as failed. */
  maxAttempts: number;
}

export const DEFAULT_JOB_SETTINGS: JobSettings = {
  retentionMs: 72 * 3600 * 1000,
  chunkSize: 256,
  keysPerChunk: 32,
  maxItems: 1_000_000,
  maxAttempts: 3,
};

export interface JobParts {
  storage: BlobStore;
  queue: JobQueue;
  /** Where object keys of a keys job are read (an inputs bucket or folder); none: uploads only. */
  inputs?: BlobStore;
  settings?: Partial<JobSettings>;
}

export type JobInput = { kind: 'upload'; files: UploadedFile[] } | { kind: 'keys'; keys?: string[]; prefix?: string };

/** Parameters of POST /v1/jobs that are the job's, not the scoring's. */
export const JOB_PARAMS = ['chunk'] as const;

const WRITE_PARALLEL = 8;

async function inParallel<T>(items: T[], n: number, f: (t: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await f(items[i]!, i);
    }
  }));
}

function validKey(k: unknown): k is string {
  return typeof k === 'string' && k.length > 0 && k.length <= 1024 && !k.split('/').includes('..');
}

export class JobService {
  readonly settings: JobSettings;
  readonly storage: BlobStore;
  readonly inputs: BlobStore | undefined;
  readonly queue: JobQueue;

  constructor(
    parts: JobParts,
    private readonly store: ModelStore,
    private readonly limits: ServiceLimits,
    private readonly onResult?: (r: ScoreResult | DarklensError) => void,
  ) {
    this.settings = { ...DEFAULT_JOB_SETTINGS, ...parts.settings };
    this.storage = parts.storage;
    this.inputs = parts.inputs;
    this.queue = parts.queue;
  }

  /** Accepts a job: validates its parameters, writes its chunks and manifest, queues the chunks. */
  async create(input: JobInput, query: Record<string, string>, chunkSize?: number): Promise<JobStatus> {
    if ((query.outputs ?? '').trim() !== '') throw new DarklensError('invalid_argument', 'jobs return scores, not images: outputs= is for /v1/score');
    const { hdu } = parseScoreQuery(query, this.store.current()); // 400/404 now, not on every line
    await this.sweep().catch(() => undefined);
    const size = chunkSize ?? (input.kind === 'upload' ? this.settings.chunkSize : this.settings.keysPerChunk);
    let chunks: ChunkSource[];
    let items: number | null;
    let source: JobManifest['source'];
    if (input.kind === 'upload') {
      const { pieces, items: n } = uploadPieces(input.files, this.limits, decodeOptions(this.limits, hdu), this.settings.maxItems, size);
      chunks = packChunks(pieces, size);
      items = n;
      source = { kind: 'upload', files: input.files.map((f) => f.name) };
    } else {
      const keys = await this.resolveKeys(input);
      chunks = keyChunks(keys, size);
      items = null;
      source = { kind: 'keys', keys: keys.length, prefix: input.prefix ?? null };
    }
    const now = Date.now();
    const id = newJobId(now);
    const manifest: JobManifest = { id, createdAt: new Date(now).toISOString(), expiresAt: now + this.settings.retentionMs, query, source, items, chunks: chunks.length, chunkSize: size };
    // The manifest first: a chunk runs as soon as its message is sent, while later chunks are still
    // being written, so scoring starts during the intake instead of after it.
    await this.storage.put(manifestKey(id), JSON.stringify(manifest));
    await this.storage.put(indexKey(id, manifest.expiresAt), '');
    try {
      await this.writeAndQueue(id, chunks);
    } catch (e) {
      // Chunks already sent must not go on for a job nobody was told about.
      await this.storage.put(cancelledKey(id), 'the intake failed').catch(() => undefined);
      throw e;
    }
    return jobStatus(manifest, { done: new Map(), cancelled: false }, now);
  }

  /**
   * Writes each chunk's input (a few at a time) and sends its message once it is written, in chunk
   * order: the chunks written while a send is in flight go together in the next one.
   */
  private async writeAndQueue(id: string, chunks: ChunkSource[]): Promise<void> {
    const written = new Array<boolean>(chunks.length).fill(false);
    let sent = 0;
    let sending: Promise<void> = Promise.resolve();
    const flush = (): Promise<void> =>
      (sending = sending.then(async () => {
        const from = sent;
        while (sent < chunks.length && written[sent]) sent++;
        if (sent === from) return;
        const messages = Array.from({ length: sent - from }, (_, k) => ({ job: id, chunk: from + k }));
        await this.queue.send(messages).catch((e: unknown) => {
          throw new DarklensError('unavailable', `the job queue refused the work (${e instanceof Error ? e.message : String(e)}); the job was cancelled, try again`);
        });
      }));
    await inParallel(chunks, WRITE_PARALLEL, async (c, i) => {
      await this.storage.put(inputKey(id, i), encodeChunkInput(c));
      written[i] = true;
      flush().catch(() => undefined); // a refusal surfaces in the last flush below
    });
    await flush();
  }

  private async resolveKeys(input: Extract<JobInput, { kind: 'keys' }>): Promise<string[]> {
    if (this.inputs === undefined) throw new DarklensError('invalid_argument', 'this deployment reads no object store: upload the cutouts instead (an NPY stack, a tar or files)');
    const keys = input.prefix !== undefined ? await this.inputs.list(input.prefix) : (input.keys ?? []);
    const bad = keys.find((k) => !validKey(k));
    if (bad !== undefined) throw new DarklensError('invalid_argument', `key ${JSON.stringify(bad).slice(0, 100)} is not an object key`);
    if (keys.length === 0) throw new DarklensError('invalid_argument', input.prefix !== undefined ? `no objects under prefix "${input.prefix}" in ${this.inputs.location}` : 'keys is empty');
    if (keys.length > this.settings.maxItems) throw new DarklensError('too_large', `the job names ${keys.length} objects; accepted: at most ${this.settings.maxItems} per job`);
    return keys;
  }

  /** The job's status; once it has succeeded, with the drift summary of its results. */
  async status(id: string): Promise<JobStatus & { drift: DriftSummary[] | null }> {
    const m = await this.live(id);
    const status = jobStatus(m, await readProgress(this.storage, id));
    return { ...status, drift: status.state === 'succeeded' ? await this.drift(m) : null };
  }

  /**
   * The drift summary of a finished job: its score distribution against the calibrations of the
   * served sets, and its input facts. Computed once, from the stored results, then kept with the job.
   */
  private async drift(m: JobManifest): Promise<DriftSummary[]> {
    const kept = await getJson<DriftSummary[]>(this.storage, driftKey(m.id));
    if (kept !== undefined) return kept;
    const watch = new DriftWatch(this.store.current());
    for await (const line of storedLines(this.storage, m.id, m.chunks)) watch.add(JSON.parse(line) as Parameters<DriftWatch['add']>[0]);
    const summary = watch.summary();
    await this.storage.put(driftKey(m.id), JSON.stringify(summary));
    return summary;
  }

  /** The results so far (all of them once the job has succeeded) and the job's status. */
  /**
   * The results so far (all of them once the job has succeeded) and the job's status; `withDrift`
   * appends the drift summary as a last line when the job has succeeded (NDJSON only).
   */
  async results(id: string, format: ResultFormat, withDrift = false): Promise<{ status: JobStatus; body: ReadableStream<Uint8Array>; complete: boolean }> {
    const m = await this.live(id);
    const p = await readProgress(this.storage, id);
    const ready = readyChunks(m, p);
    const complete = ready === m.chunks;
    const tail = withDrift && complete ? `${JSON.stringify({ drift: await this.drift(m) })}\n` : undefined;
    return { status: jobStatus(m, p), body: resultStream(this.storage, id, ready, format, tail), complete };
  }

  /** Stops a job: chunks not started are skipped; finished ones keep their results. */
  async cancel(id: string): Promise<JobStatus> {
    const m = await this.live(id);
    const p = await readProgress(this.storage, id);
    if (p.done.size < m.chunks && !p.cancelled) {
      await this.storage.put(cancelledKey(id), new Date().toISOString());
      p.cancelled = true;
    }
    return jobStatus(m, p);
  }

  /**
   * Scores one delivered chunk. `attempt` counts deliveries from 1; on the last allowed attempt a
   * failure is recorded in the results instead of thrown (so the queue never retries it forever).
   */
  async process(msg: ChunkMessage, attempt = 1): Promise<ChunkOutcome | 'failed'> {
    try {
      const ctx = { storage: this.storage, store: this.store, limits: this.limits, ...(this.inputs ? { inputs: this.inputs } : {}), ...(this.onResult ? { onResult: this.onResult } : {}) };
      return await processChunk(ctx, msg);
    } catch (e) {
      if (attempt < this.settings.maxAttempts) throw e;
      await recordChunkFailure(this.storage, msg, e);
      return 'failed';
    }
  }

  /** Removes every job past its expiry; returns their ids. */
  async sweep(now = Date.now()): Promise<string[]> {
    const removed: string[] = [];
    for (const key of await this.storage.list(INDEX_PREFIX)) {
      const entry = parseIndexKey(key);
      if (entry === undefined || entry.expiresAt >= now) continue;
      await this.storage.delete(await this.storage.list(jobPrefix(entry.id)));
      await this.storage.delete([key]);
      removed.push(entry.id);
    }
    return removed;
  }

  /** The manifest of a job that exists and has not expired. */
  private async live(id: string): Promise<JobManifest> {
    const m = await readManifest(this.storage, id);
    if (m.expiresAt < Date.now()) throw new DarklensError('not_found', `job ${id} expired at ${new Date(m.expiresAt).toISOString()}; its results were kept ${Math.round(this.settings.retentionMs / 3600_000)} h`);
    return m;
  }
}
