/**
 * The jobs queue's consumer: the handler SQS's event source mapping invokes with a batch of chunk
 * messages (the stack subscribes it with ReportBatchItemFailures). Records are processed one after
 * another (inference holds the one vCPU; a chunk sent twice in one batch is then seen as done). The
 * answer lists the records to deliver again; the rest are deleted from the queue by Lambda.
 *
 * Attempts are SQS's ApproximateReceiveCount: JobService.process records a chunk as failed on its
 * last attempt (settings.maxAttempts) instead of throwing, so real failures end in the job's results.
 * The queue's maxReceiveCount is set higher, so only what the app cannot handle at all (a body that
 * is no chunk message, or a store that refuses even the failure record) reaches the dead-letter queue.
 */
import { parseChunkMessage, type ChunkMessage } from '../app/jobs/job-queue.js';
import type { JobService } from '../app/jobs/jobs.js';
import type { LogSink } from '../app/middleware/logger.js';

/** One message of an SQS event, as AWS documents it for Lambda. */
export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId?: string;
    ApproximateFirstReceiveTimestamp?: string;
    [name: string]: string | undefined;
  };
  messageAttributes: Record<string, unknown>;
  md5OfBody: string;
  eventSource: string;
  eventSourceARN: string;
  awsRegion: string;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

/** The partial batch response: the records SQS keeps (they become visible again after the visibility timeout). */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export type SqsHandler = (event: SqsEvent) => Promise<SqsBatchResponse>;

export interface SqsConsumerOptions {
  /** The service's jobs; undefined: the function has no job store, and every record is handed back. */
  jobs: JobService | undefined;
  /** Awaited before each batch (the first model load, a registry check). */
  before?: () => Promise<void>;
  log: LogSink;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function sqsConsumer(options: SqsConsumerOptions): SqsHandler {
  const { jobs, log } = options;
  return async (event) => {
    if (!Array.isArray(event?.Records)) throw new Error('index.jobs takes SQS events ({"Records": [...]}); HTTP requests go to index.handler or index.stream');
    if (jobs === undefined) {
      log({ level: 'error', msg: 'job messages received but DARKLENS_JOBS_BUCKET and DARKLENS_JOBS_QUEUE_URL are not set; every record goes back to the queue (and in the end to its dead-letter queue)', records: event.Records.length });
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    await options.before?.();
    const failures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      const attempt = Number(record.attributes?.ApproximateReceiveCount);
      let msg: ChunkMessage;
      try {
        msg = parseChunkMessage(record.body);
      } catch (e) {
        // Kept (not deleted) so that after maxReceiveCount SQS moves it to the dead-letter queue for a look.
        log({ level: 'error', msg: 'poison message: not a chunk message', messageId: record.messageId, attempt, error: message(e) });
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      try {
        const outcome = await jobs.process(msg, Number.isInteger(attempt) && attempt > 0 ? attempt : 1);
        if (outcome === 'failed') log({ level: 'error', msg: 'job chunk failed on its last attempt; recorded in its results', job: msg.job, chunk: msg.chunk, attempt });
      } catch (e) {
        log({ level: 'error', msg: 'job chunk failed; SQS delivers it again', job: msg.job, chunk: msg.chunk, attempt, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}
