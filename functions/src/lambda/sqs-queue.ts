/**
 * An SQS queue as a JobQueue: chunk messages go out with SendMessageBatch, ten a request (SQS's
 * limit). A batch call can succeed while some of its entries fail (throttling, an internal error), so
 * the failed entries are sent again a few times; whatever still fails is thrown, and JobService.create
 * then cancels the job and answers 503 instead of accepting work that would never finish.
 */
import { SendMessageBatchCommand, type BatchResultErrorEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { ChunkMessage, JobQueue } from '../app/jobs/job-queue.js';

export interface SqsQueueOptions {
  client: SQSClient;
  queueUrl: string;
  /** Sends of an entry before giving up (default 4). */
  attempts?: number;
  /** Wait before the first resend, doubled after each (ms; default 100). */
  backoffMs?: number;
  /** Batch requests in flight at once (default 8): a large job is thousands of chunks. */
  parallel?: number;
}

/** SendMessageBatch takes at most 10 entries. */
export const SQS_BATCH = 10;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export function sqsQueue(options: SqsQueueOptions): JobQueue {
  const { client, queueUrl } = options;
  const attempts = options.attempts ?? 4;
  const backoffMs = options.backoffMs ?? 100;
  const parallel = options.parallel ?? 8;

  /** Sends one group of at most 10; returns the entries that failed for good. */
  async function sendGroup(group: ChunkMessage[]): Promise<BatchResultErrorEntry[]> {
    let pending = new Map(group.map((m, i) => [String(i), JSON.stringify(m)]));
    for (let attempt = 1; ; attempt++) {
      const res = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [...pending].map(([Id, MessageBody]) => ({ Id, MessageBody })) }));
      const failed = res.Failed ?? [];
      if (failed.length === 0) return [];
      // A sender fault (a malformed entry) fails the same way every time and fails the job anyway.
      if (attempt >= attempts || failed.some((f) => f.SenderFault === true)) return failed;
      pending = new Map(failed.map((f) => [f.Id!, pending.get(f.Id!)!]));
      await sleep(backoffMs * 2 ** (attempt - 1));
    }
  }

  return {
    async send(messages) {
      const groups: ChunkMessage[][] = [];
      for (let at = 0; at < messages.length; at += SQS_BATCH) groups.push(messages.slice(at, at + SQS_BATCH));
      const failed: BatchResultErrorEntry[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(parallel, groups.length) }, async () => {
          while (next < groups.length) failed.push(...(await sendGroup(groups[next++]!)));
        }),
      );
      if (failed.length > 0) {
        const f = failed[0]!;
        throw new Error(`SQS refused ${failed.length} of ${messages.length} chunk messages (${f.Code ?? 'error'}: ${f.Message ?? 'no message'}) at ${queueUrl}`);
      }
    },
  };
}
