/**
 * The embedded default: the app on Node's HTTP server with onnxruntime-node, the registry folder
 * watched for changes (atomic reload), the web page's files beside the API, structured logs on stdout,
 * and a graceful shutdown that drains in-flight requests.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { REGISTRY_FILE } from '@darklens/core';
import type { ServiceConfig } from '../app/config.js';
import type { LogSink } from '../app/middleware/logger.js';
import type { JobSettings } from '../app/jobs/jobs.js';
import type { ModelStore } from '../app/model-store.js';
import { createService } from '../app/service.js';
import { folderBlobStore } from './fs-blob-store.js';
import { folderSource } from './fs-source.js';
import { LocalJobRunner } from './local-job-runner.js';
import { ortNodeEngine } from './ort-engine.js';
import { ortWorkerEngine } from './ort-worker-engine.js';
import { isApiPath, staticFile } from './static-files.js';

export const DEFAULT_PORT = 8787;

export interface ServeOptions {
  /** Registry folder (holds registry.json). */
  modelsDir: string;
  port?: number;
  /** Interface to listen on (default 127.0.0.1: local only). */
  host?: string;
  config?: ServiceConfig;
  /** Built web page to serve at / (skipped when absent). */
  webDir?: string;
  /** Reload when registry.json changes (default true). */
  watch?: boolean;
  /** onnxruntime intra-op threads per inference. */
  threads?: number;
  /** Inference worker threads (default: one per core); 0 runs inference on the main thread. */
  workers?: number;
  /** Serve only these models. */
  models?: string[];
  log?: LogSink;
  /**
   * Longest wait for in-flight requests at shutdown before connections are cut (ms, default 30 s, the
   * stop timeout of Kubernetes and ECS: a batch still streaming on a busy machine gets that long).
   */
  drainMs?: number;
  /** Folder of the job store (jobs survive restarts); undefined: no jobs. */
  jobsDir?: string;
  /** Folder that keys jobs read objects from (`{"keys": [...]}` are paths under it); undefined: uploads only. */
  inputsDir?: string;
  /** Job settings over the defaults (retention, chunk sizes). */
  jobSettings?: Partial<JobSettings>;
}

export interface RunningServer {
  url: string;
  store: ModelStore;
  /** Stops accepting, waits for in-flight requests (up to drainMs), releases the models. */
  close(): Promise<void>;
}

/**
 * JSON lines on stdout, the default log sink of the Node server. Records are gathered and written once
 * per event-loop turn: stdout to a pipe is a blocking write on Linux, and one write per request cost
 * the server a measurable share of its throughput.
 */
export function stdoutLog(): LogSink & { flush(): void } {
  let lines: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (lines.length === 0) return;
    process.stdout.write(lines.join(''));
    lines = [];
  };
  const sink = (record: Parameters<LogSink>[0]): void => {
    lines.push(`${JSON.stringify(record)}\n`);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return Object.assign(sink, { flush });
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? stdoutLog();
  const intra = options.threads === undefined ? {} : { intraOpThreads: options.threads };
  const pool = options.workers === 0 ? undefined : ortWorkerEngine({ ...intra, ...(options.workers === undefined ? {} : { workers: options.workers }) });
  const engine = pool ?? ortNodeEngine(intra);
  const jobStorage = options.jobsDir === undefined ? undefined : folderBlobStore(options.jobsDir);
  const runner = jobStorage === undefined ? undefined : new LocalJobRunner(jobStorage, { log });
  const { app, store, ready, jobs } = createService({
    source: folderSource(options.modelsDir),
    engine,
    log,
    ...(jobStorage === undefined || runner === undefined
      ? {}
      : { jobs: { storage: jobStorage, queue: runner, ...(options.inputsDir === undefined ? {} : { inputs: folderBlobStore(options.inputsDir) }), ...(options.jobSettings === undefined ? {} : { settings: options.jobSettings }) } }),
    ...(options.config === undefined ? {} : { config: options.config }),
    ...(options.models === undefined ? {} : { models: options.models }),
  });
  await ready.catch(async (e: unknown) => {
    await pool?.close();
    throw e;
  });
  // Work accepted before a restart resumes now.
  if (runner !== undefined && jobs !== undefined) await runner.attach(jobs);
  const webDir = options.webDir;
  const fetch = async (req: Request): Promise<Response> => {
    const { pathname } = new URL(req.url);
    if ((req.method === 'GET' || req.method === 'HEAD') && !isApiPath(pathname)) {
      const file = webDir === undefined ? undefined : await staticFile(webDir, pathname, req.method === 'HEAD');
      if (file) return file;
      if (pathname === '/') return Response.redirect(new URL('/docs', req.url), 302);
    }
    const res = await app.fetch(req);
    // A 413 leaves most of the body unread, and @hono/node-server cuts such a connection after a short
    // drain: the client must not send its next request on it.
    if (res.status === 413) res.headers.set('connection', 'close');
    return res;
  };

  const server = await new Promise<Server>((resolveListen, reject) => {
    const s = serve({ fetch, port: options.port ?? DEFAULT_PORT, hostname: options.host ?? '127.0.0.1' }, () => resolveListen(s)) as Server;
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  let watcher: FSWatcher | undefined;
  if (options.watch ?? true) {
    let timer: NodeJS.Timeout | undefined;
    // Watch the folder, not the file: registry writes replace the file by rename.
    watcher = watch(store.source.location, (_event, name) => {
      if (name !== REGISTRY_FILE) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        store.reload().then(
          (s) => log({ level: 'info', msg: 'registry reloaded', generation: s.generation, models: s.names.map((n) => `${n}@${s.model(n).version}`) }),
          (e: unknown) => log({ level: 'error', msg: 'registry reload failed; still serving the previous models', error: e instanceof Error ? e.message : String(e) }),
        );
      }, 300);
    });
  }

  let closing: Promise<void> | undefined;
  // While draining, a keep-alive connection is closed as soon as its last response has gone, instead
  // of lingering for the keep-alive timeout.
  server.on('request', (_req, res: ServerResponse) => res.once('finish', () => closing && setImmediate(() => server.closeIdleConnections())));
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((done) => {
      watcher?.close();
      const force = setTimeout(() => server.closeAllConnections(), options.drainMs ?? 30_000);
      server.close(() => {
        clearTimeout(force);
        // Job chunks running finish (their results are written; the others wait in the store). A
        // batch cut at the deadline may still be scoring its last step: the store releases its
        // sessions when that step ends, and the pool waits for its runs before its threads end.
        void (runner?.close() ?? Promise.resolve())
          .then(() => {
            store.close();
            return pool?.close();
          })
          .then(done);
      });
      server.closeIdleConnections();
    }));
  log({ level: 'info', msg: 'listening', url, docs: `${url}/docs`, web: webDir ?? null, pid: process.pid });
  return { url, store, close };
}
