/**
 * Work of a job is cut into chunks; a message names one chunk. The queue delivers each message at
 * least once (SQS, Cloudflare Queues, the Node server's own runner), so processing a chunk must be
 * idempotent (process-chunk.ts): a chunk delivered twice is counted once.
 */
export interface ChunkMessage {
  job: string;
  chunk: number;
}

export interface JobQueue {
  send(messages: ChunkMessage[]): Promise<void>;
}

/** Reads a message body back, refusing anything that is not a chunk message (a poison message). */
export function parseChunkMessage(body: unknown): ChunkMessage {
  const raw = typeof body === 'string' ? (JSON.parse(body) as unknown) : body;
  const m = raw as Partial<ChunkMessage> | null;
  if (m === null || typeof m !== 'object' || typeof m.job !== 'string' || !/^[a-z0-9]{8,40}$/.test(m.job) || !Number.isInteger(m.chunk) || (m.chunk as number) < 0) {
    throw new Error(`not a darklens chunk message: ${JSON.stringify(raw).slice(0, 200)}`);
  }
  return { job: m.job, chunk: m.chunk as number };
}
