/**
 * The Node server's job queue and consumer in one: chunks are processed in this process, a couple at
 * a time (decoding on the main thread overlaps inference on the worker threads). Nothing of the queue
 * is kept apart from the job store: at start the runner finds every live job's unfinished chunks
 * there, so work accepted before a crash or kill -9 finishes after the restart, each chunk counted
 * once (done markers). Attempts are recorded in the store before each run, so a chunk that takes the
 * process down is recorded as failed after its last attempt instead of crashing it forever.
 */
import type { LogSink } from '../app/middleware/logger.js';
import type { BlobStore } from '../app/jobs/blob-store.js';
import type { ChunkMessage, JobQueue } from '../app/jobs/job-queue.js';
import type { JobService } from '../app/jobs/jobs.js';
import { attemptKey, attemptPrefix, INDEX_PREFIX, parseIndexKey } from '../app/jobs/layout.js';
import { readManifest } from '../app/jobs/manifest.js';
import { readProgress } from '../app/jobs/status.js';

const SWEEP_MS = 3600_000;

export interface LocalJobRunnerOptions {
  /** Chunks processed at once (default 2). */
  concurrency?: number;
  log?: LogSink;
}

export class LocalJobRunner implements JobQueue {
  private readonly pending: ChunkMessage[] = [];
  private readonly queued = new Set<string>();
  private jobs: JobService | undefined;
  private running = 0;
  private closing = false;
  private idle: (() => void)[] = [];
  private sweeper: NodeJS.Timeout | undefined;
  private readonly concurrency: number;
  private readonly log: LogSink;

  constructor(private readonly storage: BlobStore, options: LocalJobRunnerOptions = {}) {
    this.concurrency = options.concurrency ?? 2;
    this.log = options.log ?? (() => undefined);
  }

  send(messages: ChunkMessage[]): Promise<void> {
    for (const m of messages) this.enqueue(m);
    this.pump();
    return Promise.resolve();
  }

  /** Starts consuming: first every unfinished chunk the store holds, then whatever is sent. */
  async attach(jobs: JobService): Promise<number> {
    this.jobs = jobs;
    const found = await this.recover();
    this.pump();
    this.sweeper = setInterval(() => {
      jobs.sweep().then(
        (ids) => ids.length > 0 && this.log({ level: 'info', msg: 'expired jobs removed', jobs: ids }),
        (e: unknown) => this.log({ level: 'error', msg: 'job sweep failed', error: e instanceof Error ? e.message : String(e) }),
      );
    }, SWEEP_MS);
    this.sweeper.unref();
    return found;
  }

  /** Stops taking chunks and waits for those running (the rest wait in the store for the next start). */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    if (this.running > 0) await new Promise<void>((done) => this.idle.push(done));
  }

  /** Chunks waiting or running (for tests and logs). */
  get backlog(): number {
    return this.pending.length + this.running;
  }

  /** Resolves when no chunk is waiting or running. */
  async drained(): Promise<void> {
    if (this.backlog > 0) await new Promise<void>((done) => this.idle.push(done));
  }

  private enqueue(m: ChunkMessage): void {
    const key = `${m.job}/${m.chunk}`;
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.pending.push(m);
  }

  private async recover(): Promise<number> {
    let found = 0;
    for (const key of await this.storage.list(INDEX_PREFIX)) {
      const entry = parseIndexKey(key);
      if (entry === undefined || entry.expiresAt < Date.now()) continue;
      try {
        const m = await readManifest(this.storage, entry.id);
        const p = await readProgress(this.storage, entry.id);
        if (p.cancelled) continue;
        for (let chunk = 0; chunk < m.chunks; chunk++) {
          if (!p.done.has(chunk)) {
            this.enqueue({ job: entry.id, chunk });
            found++;
          }
        }
      } catch (e) {
        this.log({ level: 'error', msg: 'job not resumed', job: entry.id, error: e instanceof Error ? e.message : String(e) });
      }
    }
    if (found > 0) this.log({ level: 'info', msg: 'jobs resumed', chunks: found });
    return found;
  }

  private pump(): void {
    const jobs = this.jobs;
    if (jobs === undefined) return;
    while (!this.closing && this.running < this.concurrency && this.pending.length > 0) {
      const m = this.pending.shift()!;
      this.running++;
      void this.run(jobs, m).finally(() => {
        this.running--;
        this.queued.delete(`${m.job}/${m.chunk}`);
        if (this.backlog === 0 || (this.closing && this.running === 0)) for (const done of this.idle.splice(0)) done();
        this.pump();
      });
    }
  }

  private async run(jobs: JobService, m: ChunkMessage): Promise<void> {
    const prefix = attemptPrefix(m.job, m.chunk);
    for (;;) {
      const attempt = (await this.storage.list(prefix)).length + 1;
      if (attempt > jobs.settings.maxAttempts + 1) {
        // Even recording the failure failed (the store itself): leave the chunk for the next start.
        this.log({ level: 'error', msg: 'job chunk abandoned until restart', job: m.job, chunk: m.chunk, attempts: attempt - 1 });
        return;
      }
      await this.storage.put(attemptKey(m.job, m.chunk, attempt), new Date().toISOString());
      try {
        await jobs.process(m, attempt);
        return;
      } catch (e) {
        this.log({ level: 'error', msg: 'job chunk failed; retrying', job: m.job, chunk: m.chunk, attempt, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        if (this.closing) return;
      }
    }
  }
}
