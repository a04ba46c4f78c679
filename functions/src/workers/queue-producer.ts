/**
 * A Cloudflare Queue (producer binding) as the jobs' JobQueue. Queues takes at most 100 messages a
 * sendBatch (and 256 KB, which chunk messages, ~50 bytes each, never approach), so a job of thousands
 * of chunks goes in groups. Messages are JSON: readable in the dashboard and in the dead-letter queue.
 */
import type { ChunkMessage, JobQueue } from '../app/jobs/job-queue.js';

/** The part of a Queue producer binding the jobs use (Cloudflare's Queue satisfies it). */
export interface ChunkQueue {
  sendBatch(messages: Iterable<{ body: ChunkMessage; contentType?: 'text' | 'bytes' | 'json' | 'v8' }>): Promise<unknown>;
}

/** Queues' most messages in one sendBatch. */
const SEND_BATCH_MAX = 100;

export function queueProducer(queue: ChunkQueue): JobQueue {
  return {
    async send(messages) {
      for (let at = 0; at < messages.length; at += SEND_BATCH_MAX) {
        await queue.sendBatch(messages.slice(at, at + SEND_BATCH_MAX).map((body) => ({ body, contentType: 'json' as const })));
      }
    },
  };
}
