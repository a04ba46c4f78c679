/**
 * The service of one Worker isolate: built on the isolate's first request or queue batch (bindings
 * exist only then) and kept for the isolate's life, so models opened by one request serve the next;
 * the queue consumer scores job chunks with the same service. Sessions open lazily, per model, on first
 * use. registry.json's ETag is looked at now and then (after the response, in waitUntil) and a changed
 * registry is reloaded and swapped in atomically, as on the Node server.
 */
import { REGISTRY_FILE } from '@darklens/core';
import { createService, type Service } from '../app/service.js';
import type { LogRecord } from '../app/middleware/logger.js';
import { jobParts, type WorkerEnv, type WorkerSettings } from './env.js';
import { ortWebEngine } from './ort-web-engine.js';
import { r2Source, type R2ModelSource } from './r2-source.js';

/** What keeps the isolate working after the response (the Worker's ExecutionContext). */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

function consoleLog(record: LogRecord): void {
  console.log(JSON.stringify(record));
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class IsolateService {
  readonly service: Service;
  private readonly source: R2ModelSource;
  /** registry.json's ETag read just before the serving set was loaded. */
  private loadedEtag: Promise<string | undefined>;
  /** The first load (or its latest retry); never rejects: failures are logged and the store keeps why. */
  private loading: Promise<void>;
  private lastLook: number;

  constructor(
    env: WorkerEnv,
    readonly settings: WorkerSettings,
    private readonly log: (record: LogRecord) => void = consoleLog,
  ) {
    this.source = r2Source(env.MODELS, settings.bucketName);
    this.loadedEtag = this.etag();
    const engine = ortWebEngine({ onMemory: ({ event, ...info }) => log({ level: 'info', msg: event, ...info }) });
    // Jobs when the env binds a JOBS bucket and the JOBS_QUEUE producer; without them /v1/jobs answers 503.
    const jobs = jobParts(env, settings);
    this.service = createService({ source: this.source, engine, config: settings.config, log, models: settings.models, lazySessions: true, ...(jobs === undefined ? {} : { jobs }) });
    this.loading = this.service.ready.then(
      () => undefined,
      (e: unknown) => this.log({ level: 'error', msg: 'registry load failed', error: message(e) }),
    );
    this.lastLook = Date.now();
  }

  /** Waits for the first load; if it failed, tries again when the last try is older than the look interval. */
  async ready(): Promise<void> {
    if (this.service.store.ready) return;
    await this.loading;
    if (this.service.store.ready || !this.due()) return;
    this.loading = this.reload('models loaded');
    await this.loading;
  }

  /** Looks at registry.json's ETag after the response when the last look is older than the interval. */
  checkRegistry(ctx: WaitUntil): void {
    if (!this.service.store.ready || !this.due()) return;
    ctx.waitUntil(this.refresh());
  }

  private due(): boolean {
    if (Date.now() - this.lastLook < this.settings.registryCheckMs) return false;
    this.lastLook = Date.now();
    return true;
  }

  private etag(): Promise<string | undefined> {
    return this.source.etag(REGISTRY_FILE).catch(() => undefined);
  }

  private async refresh(): Promise<void> {
    const etag = await this.etag();
    if (etag !== undefined && etag !== (await this.loadedEtag)) await this.reload('registry reloaded');
  }

  /** Loads the registry again; on failure the previous set (if any) keeps serving. */
  private async reload(msg: string): Promise<void> {
    const etag = this.etag();
    try {
      const set = await this.service.store.reload();
      this.loadedEtag = etag;
      this.log({ level: 'info', msg, generation: set.generation, models: set.names.map((n) => `${n}@${set.model(n).version}`) });
    } catch (e) {
      this.log({ level: 'error', msg: 'registry load failed', error: message(e) });
    }
  }
}
