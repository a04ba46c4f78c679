/** What every route gets: the app's dependencies and its hono types. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ServiceConfig } from './config.js';
import type { Metrics } from './middleware/metrics.js';
import type { LogSink } from './middleware/logger.js';
import type { JobService } from './jobs/jobs.js';
import type { ModelStore } from './model-store.js';

export interface AppEnv {
  Variables: { requestId: string; errorCode: string };
}

export type App = OpenAPIHono<AppEnv>;

export interface Deps {
  store: ModelStore;
  config: ServiceConfig;
  metrics: Metrics;
  log: LogSink;
  /** Survey-scale jobs, where the runtime has a job store and queue. */
  jobs?: JobService;
  /** darklens version, for /v2 and the docs. */
  version: string;
}
