/**
 * Scoring one chunk of a job, idempotently: a chunk whose done marker exists is skipped, so a message
 * delivered twice is counted once. Results are written first, the done marker (with the counts in its
 * key) last: a crash between the two leaves the chunk pending, and rerunning it rewrites the same
 * results. A cutout that cannot be read or scored gets its error line and counts as failed; a chunk
 * that fails as a whole is retried by its queue and, on its last attempt, recorded as failed.
 */
import { DarklensError, readTar, RUN_BATCH, type Cutout } from '@darklens/core';
import { inOrder } from '../in-order.js';
import type { ServiceLimits } from '../config.js';
import { errorBody, publicError } from '../http-errors.js';
import { decodeOptions, fileItems, tarOf, type BatchItem } from '../inputs.js';
import type { ModelStore } from '../model-store.js';
import type { ScoreResult } from '../schemas.js';
import { parseScoreQuery } from '../score-options.js';
import { scoreCutouts } from '../scoring.js';
import type { BlobStore } from './blob-store.js';
import type { ChunkFile } from './intake.js';
import type { ChunkMessage } from './job-queue.js';
import { cancelledKey, donePrefix, doneKey, inputKey, resultKey, type ChunkCounts } from './layout.js';
import { decodeChunkInput, readManifest, type ChunkInput } from './manifest.js';

export interface ChunkContext {
  storage: BlobStore;
  /** Where a keys job's objects are read from. */
  inputs?: BlobStore;
  store: ModelStore;
  limits: ServiceLimits;
  /** Called with each result (metrics). */
  onResult?: (r: ScoreResult | DarklensError) => void;
}

/** One result line of a job (the index is added when results are read, in input order). */
export type JobLine = { name: string } & (ScoreResult | ReturnType<typeof errorBody>);

export type ChunkOutcome = 'done' | 'duplicate' | 'cancelled' | 'expired';

/** Cutouts decoded and scored per step of a chunk. */
const STEP = RUN_BATCH * 2;

/** Cutouts a chunk's file holds, in order: a tar's entries (`file:entry`, stacks among them expanded), a stack's images, or the file. */
function chunkItems(file: ChunkFile, limits: ServiceLimits, hdu: number | string | undefined): BatchItem[] {
  const options = decodeOptions(limits, hdu);
  const tar = tarOf(file.bytes, limits.maxGunzipBytes);
  if (tar === undefined) return fileItems(file, options);
  return readTar(tar, { maxEntries: Number.MAX_SAFE_INTEGER }).flatMap((e) => fileItems({ name: `${file.name}:${e.name}`, bytes: e.data }, options));
}

async function chunkFiles(input: ChunkInput, inputs: BlobStore | undefined): Promise<(ChunkFile | { name: string; error: DarklensError })[]> {
  if (input.kind === 'files') return input.files;
  if (inputs === undefined) throw new DarklensError('unavailable', 'this deployment has no inputs store for object keys');
  return Promise.all(
    input.keys.map(async (key) => {
      const bytes = await inputs.get(key);
      return bytes === undefined ? { name: key, error: new DarklensError('not_found', `object ${key} does not exist in ${inputs.location}`) } : { name: key, bytes };
    }),
  );
}

/** True when the chunk's done marker exists. */
async function isDone(storage: BlobStore, msg: ChunkMessage): Promise<boolean> {
  const prefix = `${donePrefix(msg.job)}${String(msg.chunk).padStart(6, '0')}-`;
  return (await storage.list(prefix)).length > 0;
}

export async function processChunk(ctx: ChunkContext, msg: ChunkMessage): Promise<ChunkOutcome> {
  const { storage } = ctx;
  if (await isDone(storage, msg)) return 'duplicate';
  let manifest;
  try {
    manifest = await readManifest(storage, msg.job);
  } catch (e) {
    if (e instanceof DarklensError && e.code === 'not_found') return 'expired';
    throw e;
  }
  if (manifest.expiresAt < Date.now()) return 'expired';
  if ((await storage.get(cancelledKey(msg.job))) !== undefined) return 'cancelled';
  const raw = await storage.get(inputKey(msg.job, msg.chunk));
  if (raw === undefined) throw new Error(`job ${msg.job} chunk ${msg.chunk} has no input`);
  const files = await chunkFiles(decodeChunkInput(raw), ctx.inputs);

  const lines: string[] = [];
  const counts: ChunkCounts = { items: 0, scored: 0, failed: 0, outOfDomain: 0, flagged: 0 };
  const record = (name: string, r: ScoreResult | DarklensError): void => {
    ctx.onResult?.(r);
    counts.items++;
    if (r instanceof DarklensError) counts.failed++;
    else {
      counts.scored++;
      if (r.domain.outOfDomain) counts.outOfDomain++;
      if (r.ensemble.flagged) counts.flagged++;
    }
    lines.push(JSON.stringify(r instanceof DarklensError ? { name, ...errorBody(r) } : { name, ...r }));
  };

  await ctx.store.use(async (set) => {
    let parsed;
    try {
      parsed = parseScoreQuery(manifest.query, set);
    } catch (e) {
      // The registry changed since the job was accepted (a model or score it names is gone).
      for (const f of files) record(f.name, publicError(e));
      return;
    }
    const items: { name: string; load: () => Cutout }[] = [];
    for (const f of files) {
      if ('error' in f) {
        const err = f.error;
        items.push({ name: f.name, load: () => { throw err; } });
        continue;
      }
      try {
        items.push(...chunkItems(f, ctx.limits, parsed.hdu));
      } catch (e) {
        const err = publicError(e);
        items.push({ name: f.name, load: () => { throw err; } });
      }
    }
    // Steps scored two at a time (in-order.ts): the next step's runs are queued while one is recorded.
    const steps = Math.ceil(items.length / STEP);
    const scoreStep = (k: number): Promise<(ScoreResult | DarklensError)[]> => {
      const cutouts = items.slice(k * STEP, (k + 1) * STEP).map((it) => {
        try {
          return it.load();
        } catch (e) {
          return publicError(e);
        }
      });
      return scoreCutouts(set, cutouts, parsed.options);
    };
    let at = 0;
    for await (const results of inOrder(steps, scoreStep)) {
      results.forEach((r, j) => record(items[at + j]!.name, r));
      at += results.length;
    }
  });
  await storage.put(resultKey(msg.job, msg.chunk), lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  await storage.put(doneKey(msg.job, msg.chunk, counts), '');
  return 'done';
}

/**
 * The last attempt at a chunk failed as a whole: its files are recorded as failed (one line each,
 * with the error) so the job can finish and the failure is in its results, not retried forever.
 */
export async function recordChunkFailure(storage: BlobStore, msg: ChunkMessage, error: unknown): Promise<void> {
  if (await isDone(storage, msg)) return;
  const raw = await storage.get(inputKey(msg.job, msg.chunk));
  let names = [`chunk ${msg.chunk}`];
  try {
    if (raw !== undefined) {
      const input = decodeChunkInput(raw);
      names = input.kind === 'keys' ? input.keys : input.files.map((f) => (f.first === undefined ? f.name : `${f.name}[${f.first}...]`));
    }
  } catch {
    // Unreadable input: the chunk is reported under its number.
  }
  const err = error instanceof DarklensError && error.code !== 'internal' ? error : new DarklensError('internal', `the chunk failed on every attempt: ${error instanceof Error ? error.message : String(error)}`);
  const lines = names.map((name) => JSON.stringify({ name, ...errorBody(err) }));
  await storage.put(resultKey(msg.job, msg.chunk), `${lines.join('\n')}\n`);
  await storage.put(doneKey(msg.job, msg.chunk, { items: names.length, scored: 0, failed: names.length, outOfDomain: 0, flagged: 0 }), '');
}
