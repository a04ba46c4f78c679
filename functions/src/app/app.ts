/**
 * The darklens scoring app: every route, runtime-agnostic (Web-standard Request/Response only).
 * Adapters (Node server, Lambda, Workers) create it with their engine and model source and serve it.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { DarklensError } from '@darklens/core';
import { DEFAULT_CONFIG, type ServiceConfig } from './config.js';
import type { App, AppEnv, Deps } from './context.js';
import { clipMessage, errorBody, publicError, statusOf } from './http-errors.js';
import { requireKey } from './middleware/auth.js';
import { requestLogger, type LogSink } from './middleware/logger.js';
import { Metrics, metricsMiddleware } from './middleware/metrics.js';
import type { JobService } from './jobs/jobs.js';
import type { ModelStore } from './model-store.js';
import { docsRoutes } from './routes/docs.js';
import { jobRoutes } from './routes/jobs.js';
import { modelRoutes } from './routes/models.js';
import { oipRoutes } from './routes/oip.js';
import { scoreRoutes } from './routes/score.js';

export const DARKLENS_VERSION = '0.1.0';

export interface AppOptions {
  store: ModelStore;
  config?: ServiceConfig;
  /** Where structured logs go (default: nowhere). */
  log?: LogSink;
  metrics?: Metrics;
  /** Survey-scale jobs (without: the job routes answer 503). */
  jobs?: JobService;
}

export function createApp(options: AppOptions): App {
  const deps: Deps = {
    store: options.store,
    config: options.config ?? DEFAULT_CONFIG,
    metrics: options.metrics ?? new Metrics(),
    log: options.log ?? (() => undefined),
    version: DARKLENS_VERSION,
  };
  if (options.jobs !== undefined) deps.jobs = options.jobs;
  const app: App = new OpenAPIHono<AppEnv>();

  app.use('*', requestId());
  app.use('*', requestLogger(deps.log));
  app.use('*', metricsMiddleware(deps.metrics));
  if (deps.config.corsOrigins.length > 0) {
    const origins = deps.config.corsOrigins;
    app.use('*', cors({ origin: origins.includes('*') ? '*' : origins, allowHeaders: ['Authorization', 'Content-Type'], maxAge: 600 }));
  }

  app.onError((e, c) => {
    const err = publicError(e, c.get('requestId'));
    if (err.code === 'internal') {
      deps.log({ level: 'error', msg: 'unhandled error', requestId: c.get('requestId'), error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
    c.set('errorCode', err.code);
    // The Open Inference Protocol has its own error shape.
    if (c.req.path.startsWith('/v2')) return c.json({ error: clipMessage(err.message) }, statusOf(err.code));
    return c.json(errorBody(err), statusOf(err.code));
  });
  app.notFound((c) => {
    const err = new DarklensError('not_found', `no route ${c.req.method} ${c.req.path}; see /docs`);
    c.set('errorCode', err.code);
    return c.req.path.startsWith('/v2') ? c.json({ error: err.message }, 404) : c.json(errorBody(err), 404);
  });

  scoreRoutes(app, deps);
  jobRoutes(app, deps);
  modelRoutes(app, deps);
  oipRoutes(app, deps);
  docsRoutes(app, deps);

  app.get('/metrics', (c) => {
    const set = deps.store.ready ? deps.store.current() : undefined;
    const models = ['# HELP darklens_model_info Served model versions.', '# TYPE darklens_model_info gauge'];
    for (const m of set?.models.values() ?? []) models.push(`darklens_model_info{model="${m.name}",version="${m.version}"} 1`);
    models.push('# HELP darklens_registry_generation Registry loads so far.', '# TYPE darklens_registry_generation gauge', `darklens_registry_generation ${set?.generation ?? 0}`);
    return c.text(deps.metrics.render(models), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  if (deps.config.adminKey !== undefined) {
    app.post('/admin/reload', requireKey([deps.config.adminKey], 'registry reload'), async (c) => {
      const set = await deps.store.reload();
      deps.log({ level: 'info', msg: 'registry reloaded', generation: set.generation, models: set.names.map((n) => `${n}@${set.model(n).version}`) });
      return c.json({ generation: set.generation, loadedAt: set.loadedAt, models: Object.fromEntries(set.names.map((n) => [n, set.model(n).version])) });
    });
  }
  return app;
}
