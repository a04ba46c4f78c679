import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { renderRange, type ImageRecord, type SimulationJob } from './job.js';

export interface RenderedBlock {
  start: number;
  scaled: Float32Array;
  raw?: Float32Array;
  records: ImageRecord[];
}

export interface RunOptions {
  /** Worker threads; 0 renders on the calling thread. Default: all cores. */
  threads?: number;
  /** Images per work item sent to a worker. */
  chunk?: number;
  /** Called with each block, strictly in index order, so output can be streamed. */
  onBlock: (block: RenderedBlock) => void | Promise<void>;
  signal?: AbortSignal;
}

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Renders a job's images on worker threads and hands blocks to `onBlock` in index order. Each image
 * depends only on (seed, index), so the result is bit-identical for any thread count or chunk size.
 * At most 2 blocks per worker are in flight, so memory stays bounded on runs of millions of images.
 */
export async function runJob(job: SimulationJob, options: RunOptions): Promise<void> {
  const threads = options.threads ?? defaultThreads();
  const chunk = Math.max(1, options.chunk ?? 16);
  if (threads === 0) {
    for (let start = 0; start < job.count; start += chunk) {
      options.signal?.throwIfAborted();
      const end = Math.min(job.count, start + chunk);
      await options.onBlock({ start, ...renderRange(job, start, end) });
    }
    return;
  }

  const workerUrl = new URL('./worker.js', import.meta.url);
  const workers = Array.from({ length: Math.min(threads, Math.ceil(job.count / chunk)) }, () => new Worker(workerUrl));
  const pending = new Map<number, RenderedBlock>();
  let nextToIssue = 0;
  let nextToEmit = 0;

  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (e: unknown) => {
        if (!failed) {
          failed = true;
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      };
      const issue = (w: Worker) => {
        if (nextToIssue >= job.count || failed) return;
        const start = nextToIssue;
        const end = Math.min(job.count, start + chunk);
        nextToIssue = end;
        w.postMessage({ job, start, end });
      };
      let emitting = Promise.resolve();
      const drain = () => {
        emitting = emitting.then(async () => {
          while (pending.has(nextToEmit)) {
            const block = pending.get(nextToEmit)!;
            pending.delete(nextToEmit);
            nextToEmit += block.records.length;
            await options.onBlock(block);
          }
          if (nextToEmit >= job.count) resolve();
        }).catch(fail);
      };
      options.signal?.addEventListener('abort', () => fail(options.signal!.reason), { once: true });
      for (const w of workers) {
        w.on('message', (msg: { ok: true } & RenderedBlock | { ok: false; error: string; start: number }) => {
          if (!msg.ok) return fail(new Error(`simulation of images from ${msg.start} failed: ${msg.error}`));
          pending.set(msg.start, msg);
          drain();
          // Backpressure: do not run ahead of the writer by more than two blocks per worker.
          if (pending.size < 2 * workers.length) issue(w);
          else void emitting.then(() => issue(w));
        });
        w.on('error', fail);
        w.on('exit', (code) => {
          if (code !== 0 && nextToEmit < job.count) fail(new Error(`simulation worker exited with code ${code}`));
        });
        issue(w);
        issue(w);
      }
      if (job.count === 0) resolve();
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
