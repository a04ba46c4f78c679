/**
 * The composition root: one function builds the service from its parts (where models come from, which
 * ONNX runtime runs them, settings, where logs go). The Node server, the tests, the Lambda handler and
 * the Worker all call it, so no runtime assembles the app by hand.
 */
import { createApp } from './app.js';
import { DEFAULT_CONFIG, type ServiceConfig } from './config.js';
import type { App } from './context.js';
import type { InferenceEngine } from './engine.js';
import { JobService, type JobParts } from './jobs/jobs.js';
import type { LogSink } from './middleware/logger.js';
import { Metrics } from './middleware/metrics.js';
import type { ModelSource } from './model-source.js';
import { ModelStore, type ModelSet } from './model-store.js';
import { countScores } from './score-metrics.js';

export interface ServiceParts {
  source: ModelSource;
  engine: InferenceEngine;
  config?: ServiceConfig;
  /** Where structured logs go (default: nowhere). */
  log?: LogSink;
  metrics?: Metrics;
  /** Serve only these models (default: every model of the registry). */
  models?: string[];
  /** Open each model's session on its first use (see ModelStoreOptions.lazySessions). */
  lazySessions?: boolean;
  /** Where jobs keep their work and how their chunks are queued (without: no jobs). */
  jobs?: JobParts;
}

export interface Service {
  app: App;
  store: ModelStore;
  config: ServiceConfig;
  log: LogSink;
  /** The jobs of this service (consumers call its process()), when it has a job store. */
  jobs?: JobService;
  /**
   * The first load of the registry: resolves with the served set (logged as 'models loaded') or
   * rejects with why it failed. Requests before it settles get 503 from the app.
   */
  ready: Promise<ModelSet>;
}

/** Builds store + app and starts loading the registry. */
export function createService(parts: ServiceParts): Service {
  const config = parts.config ?? DEFAULT_CONFIG;
  const log = parts.log ?? (() => undefined);
  const store = new ModelStore(parts.source, parts.engine, { models: parts.models, lazySessions: parts.lazySessions });
  const metrics = parts.metrics ?? new Metrics();
  const jobs = parts.jobs === undefined ? undefined : new JobService(parts.jobs, store, config.limits, (r) => countScores(metrics, r));
  const app = createApp({ store, config, log, metrics, ...(jobs === undefined ? {} : { jobs }) });
  const ready = store.reload().then((set) => {
    log({ level: 'info', msg: 'models loaded', engine: parts.engine.name, registry: parts.source.location, models: set.names.map((n) => `${n}@${set.model(n).version}`) });
    return set;
  });
  // The caller awaits `ready`; this keeps an unobserved failure from being an unhandled rejection.
  ready.catch(() => undefined);
  return { app, store, config, log, ready, ...(jobs === undefined ? {} : { jobs }) };
}
