/**
 * The Worker as the consumer of its own jobs queue. Each message names one chunk; the batch's
 * messages are scored one after another (onnxruntime-web runs one call at a time anyway, and the
 * isolate's 128 MB hold one chunk's cutouts comfortably). A chunk scored (or skipped: done, cancelled,
 * expired) is acked; a thrown error retries it. JobService.process records the chunk as failed on
 * the app's last attempt, so only a chunk whose every delivery died with the isolate (CPU time,
 * memory) outlives max_retries: it reaches the dead-letter queue, which this Worker consumes too,
 * recording the chunk as failed without scoring it, so its job still finishes.
 */
import { parseChunkMessage, type ChunkMessage } from '../app/jobs/job-queue.js';
import type { JobService } from '../app/jobs/jobs.js';
import { manifestKey } from '../app/jobs/layout.js';
import { recordChunkFailure } from '../app/jobs/process-chunk.js';
import type { LogSink } from '../app/middleware/logger.js';

/** A delivered message (Cloudflare's Message satisfies it); `attempts` counts deliveries from 1. */
export interface QueueMessage {
  readonly id: string;
  readonly body: unknown;
  readonly attempts: number;
  ack(): void;
  retry(): void;
}

/** What the Worker's queue() receives (Cloudflare's MessageBatch satisfies it). */
export interface QueueBatch {
  /** The name of the queue the batch comes from. */
  readonly queue: string;
  readonly messages: readonly QueueMessage[];
  retryAll(): void;
}

export interface ConsumerOptions {
  /** The isolate's jobs (what the consumer uses of them); undefined without a job store: retried. */
  jobs: Pick<JobService, 'process' | 'storage'> | undefined;
  /** The dead-letter queue's name: its batches are recorded as failed, not scored. */
  deadLetterQueue: string;
  log: LogSink;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function excerpt(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 200);
  try {
    return (JSON.stringify(body) ?? String(body)).slice(0, 200);
  } catch {
    return String(body).slice(0, 200);
  }
}

export async function consumeBatch(batch: QueueBatch, options: ConsumerOptions): Promise<void> {
  const dead = batch.queue === options.deadLetterQueue;
  for (const msg of batch.messages) await (dead ? recordDead(msg, batch.queue, options) : scoreChunk(msg, batch.queue, options));
}

/** The chunk a message names, or undefined (logged) for a poison message. */
function chunkOf(msg: QueueMessage, queue: string, log: LogSink, what: string): ChunkMessage | undefined {
  try {
    return parseChunkMessage(msg.body);
  } catch (e) {
    log({ level: 'error', msg: what, queue, id: msg.id, attempt: msg.attempts, body: excerpt(msg.body), error: errorText(e) });
    return undefined;
  }
}

async function scoreChunk(msg: QueueMessage, queue: string, { jobs, log }: ConsumerOptions): Promise<void> {
  // Poison is retried like any failure, so it ends in the dead-letter queue after max_retries;
  // logged on its first delivery only (muted on the later ones).
  const mute: LogSink = () => undefined;
  const chunk = chunkOf(msg, queue, msg.attempts === 1 ? log : mute, 'poison job message');
  if (chunk === undefined) {
    msg.retry();
    return;
  }
  if (jobs === undefined) {
    if (msg.attempts === 1) log({ level: 'error', msg: 'job message but no job store (bind JOBS and JOBS_QUEUE)', queue, id: msg.id });
    msg.retry();
    return;
  }
  try {
    const outcome = await jobs.process(chunk, msg.attempts);
    msg.ack();
    log({ level: outcome === 'failed' ? 'error' : 'info', msg: 'job chunk processed', ...chunk, attempt: msg.attempts, outcome });
  } catch (e) {
    log({ level: 'warn', msg: 'job chunk failed; retrying', ...chunk, attempt: msg.attempts, error: errorText(e) });
    msg.retry();
  }
}

async function recordDead(msg: QueueMessage, queue: string, { jobs, log }: ConsumerOptions): Promise<void> {
  const chunk = chunkOf(msg, queue, log, 'dead-lettered poison message');
  // Poison belongs to no job: logged (above) and dropped.
  if (chunk === undefined) {
    msg.ack();
    return;
  }
  if (jobs === undefined) {
    log({ level: 'error', msg: 'dead-lettered job chunk dropped: no job store', queue, ...chunk });
    msg.ack();
    return;
  }
  try {
    if ((await jobs.storage.get(manifestKey(chunk.job))) === undefined) {
      log({ level: 'warn', msg: 'dead-lettered chunk of a removed job', queue, ...chunk });
    } else {
      await recordChunkFailure(jobs.storage, chunk, new Error('every delivery ended without an answer (the Worker may have run out of CPU time or memory on it)'));
      log({ level: 'error', msg: 'dead-lettered job chunk recorded as failed', queue, ...chunk });
    }
    msg.ack();
  } catch (e) {
    log({ level: 'warn', msg: 'dead-lettered job chunk not recorded; retrying', queue, ...chunk, error: errorText(e) });
    msg.retry();
  }
}
