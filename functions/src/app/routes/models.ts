/** GET /v1/models and /v1/models/:name: what is served, with calibration summaries and histograms. */
import { createRoute, z } from '@hono/zod-openapi';
import { DarklensError, setEnsembles } from '@darklens/core';
import type { App, Deps } from '../context.js';
import type { LoadedModel, ModelSet } from '../model-store.js';
import { ErrorSchema, ModelDetailSchema, ModelListSchema, type ModelDetail, type ModelSummary } from '../schemas.js';

export const listRoute = createRoute({
  method: 'get',
  path: '/v1/models',
  tags: ['models'],
  summary: 'The served models: version, input spec, scores, thresholds, calibration histogram, metrics, provenance',
  request: { query: z.object({ score: z.string().optional().openapi({ description: 'Describe this score\'s calibration (default: each model\'s default score).', example: 'mf' }) }) },
  responses: { 200: { description: 'Served models', content: { 'application/json': { schema: ModelListSchema } } } },
});

export const detailRoute = createRoute({
  method: 'get',
  path: '/v1/models/{name}',
  tags: ['models'],
  summary: 'One model, with its sorted calibration scores so a client can move its threshold itself',
  request: {
    params: z.object({ name: z.string().openapi({ example: 'dcae' }) }),
    query: z.object({
      version: z.string().optional().openapi({ description: 'A registered version (default: the served one).', example: 'v1' }),
      score: z.string().optional().openapi({ description: 'The score whose calibration to describe (default: the model\'s default score).', example: 'mf' }),
    }),
  },
  responses: {
    200: { description: 'The model', content: { 'application/json': { schema: ModelDetailSchema } } },
    404: { description: 'No such model or version', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

export const fileRoute = createRoute({
  method: 'get',
  path: '/v1/models/{name}/files/{file}',
  tags: ['models'],
  summary: 'A file of the served version: its model card (card.md) and pictures (roc.png, scores.png, loss.png), sha256-checked',
  request: {
    params: z.object({ name: z.string().openapi({ example: 'dcae' }), file: z.string().openapi({ example: 'roc.png' }) }),
    query: z.object({ version: z.string().optional().openapi({ description: 'A registered version (default: the served one).', example: 'v1' }) }),
  },
  responses: {
    200: { description: 'The file', content: { 'image/png': { schema: z.string().openapi({ type: 'string', format: 'binary' }) }, 'text/markdown': { schema: z.string() } } },
    404: { description: 'No such model, version or file', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

/** Files a client may fetch: documentation, not the weights (those stay behind the scoring routes). */
const PUBLIC_FILES: Record<string, string> = {
  'card.md': 'text/markdown; charset=utf-8',
  'roc.png': 'image/png',
  'scores.png': 'image/png',
  'loss.png': 'image/png',
};

/** A model described by the calibration of `score` (its default score when omitted). */
function summary(set: ModelSet, m: LoadedModel, score?: string): ModelSummary {
  const calibrator = m.calibrator(score);
  const cal = calibrator.file;
  return {
    name: m.name,
    version: m.version,
    versions: Object.keys(set.registry.models[m.name]?.versions ?? {}),
    input: m.input,
    score: cal.score.name,
    defaultScore: m.calibration.defaultScore,
    availableScores: m.scores.map((name) => ({ name, definition: m.calibrator(name).file.score.definition })),
    thresholds: {
      default: cal.thresholds.default,
      quantileRule: calibrator.quantileRule,
      items: cal.thresholds.items.map((i) => ({ name: i.name, value: i.value, method: i.method, ...(i.fpr === undefined ? {} : { fpr: i.fpr }) })),
    },
    calibration: { set: cal.calibration.set, count: cal.calibration.count, min: calibrator.reference.min, max: calibrator.reference.max },
    histogram: cal.histogram,
    metrics: m.entry.metrics,
    training: m.entry.training,
    createdAt: m.entry.createdAt,
  };
}

export function modelRoutes(app: App, deps: Deps): void {
  app.openAPIRegistry.registerPath(listRoute);
  app.openAPIRegistry.registerPath(detailRoute);
  app.openAPIRegistry.registerPath(fileRoute);

  app.get('/v1/models', (c) => {
    const set = deps.store.current();
    const score = c.req.query('score') || undefined;
    // With score=, models that do not calibrate it are described by their default score.
    const pick = (m: LoadedModel): string | undefined => (score !== undefined && m.scores.includes(score) ? score : undefined);
    return c.json({
      generation: set.generation,
      loadedAt: set.loadedAt,
      models: [...set.models.values()].map((m) => summary(set, m, pick(m))),
      ensembles: set.registry.ensembles ?? {},
      defaultEnsemble: set.registry.defaultEnsemble ?? null,
      sets: Object.entries(set.sets).map(([name, s]) => ({
        name,
        default: name === set.defaultSet,
        aliases: s.aliases ?? [],
        domain: { ...s.domain },
        models: s.models,
        ensembles: setEnsembles(set.registry, s),
        defaultEnsemble: s.defaultEnsemble ?? null,
      })),
      defaultSet: set.defaultSet,
    });
  });

  app.get('/v1/models/:name', async (c) => {
    const detail = await deps.store.use(async (set): Promise<ModelDetail> => {
      const m = await set.version(c.req.param('name'), c.req.query('version'));
      const score = c.req.query('score') || undefined;
      return { ...summary(set, m, score), scores: Array.from(m.calibrator(score).reference.sorted) };
    });
    return c.json(detail);
  });

  app.get('/v1/models/:name/files/:file', async (c) => {
    const file = c.req.param('file');
    const type = Object.hasOwn(PUBLIC_FILES, file) ? PUBLIC_FILES[file] : undefined;
    const bytes = await deps.store.use(async (set) => {
      const m = await set.version(c.req.param('name'), c.req.query('version'));
      if (type === undefined || !Object.hasOwn(m.entry.files, file)) {
        throw new DarklensError('not_found', `model ${m.name} ${m.version} has no file ${JSON.stringify(file)}; available: ${Object.keys(PUBLIC_FILES).filter((f) => f in m.entry.files).join(', ')}`);
      }
      return set.readFile(m, file);
    });
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { 'content-type': type!, 'cache-control': 'public, max-age=300' });
  });
}
