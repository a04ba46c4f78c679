/**
 * The jobs API: POST /v1/jobs (accept work), GET /v1/jobs/{id} (state, progress, counts, ETA),
 * GET /v1/jobs/{id}/results (NDJSON or CSV, streamed in input order), DELETE /v1/jobs/{id} (cancel).
 * Auth as the scoring routes. A runtime without a job store answers 503 on every job route.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { DarklensError } from '@darklens/core';
import type { App, Deps } from '../context.js';
import { readUpload, RAW_TYPES } from '../inputs.js';
import { NDJSON_FORMAT, type JobInput, type JobService, type JobStatus, type ResultFormat } from '../jobs/index.js';
import { JobKeysSchema, JobStatusSchema } from '../jobs/schema.js';
import { requireKey } from '../middleware/auth.js';
import { limitBody } from '../middleware/body-limit.js';
import { csvHeader, csvRow, rolesOf } from '../result-rows.js';
import { ErrorSchema, ScoreQuerySchema, type BatchLine } from '../schemas.js';

const binary = { schema: z.string().openapi({ type: 'string', format: 'binary' }) };
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } }]));
const JobIdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'mfq3k2x0a1b2c3d4e5f6g7h8i9' }) });
const statusResponse = (description: string) => ({ description, content: { 'application/json': { schema: JobStatusSchema } } });

const createJobRoute = createRoute({
  method: 'post',
  path: '/v1/jobs',
  tags: ['jobs'],
  summary: 'Accept a scoring job (answers 202 at once; the work survives restarts)',
  description:
    'The body is what /v1/score/batch takes (an NPY stack, a tar or tar.gz of cutout files, a multipart form of files), or JSON `{"keys": [...]}` / `{"prefix": "..."}` naming objects of the deployment\'s inputs store (its bucket; the server\'s --inputs folder). The query carries the scoring parameters of /v1/score (not outputs) and `chunk`, the cutouts (or keys) per unit of work. Results are kept until expiresAt.',
  request: {
    query: ScoreQuerySchema.extend({ chunk: z.string().optional().openapi({ description: 'Cutouts per chunk of an upload (default 256) or keys per chunk (default 32).' }) }),
    body: { required: true, content: { ...Object.fromEntries(RAW_TYPES.map((t) => [t, binary])), 'application/json': { schema: JobKeysSchema } } },
  },
  responses: { 202: statusResponse('Accepted: the job\'s status'), ...errors(400, 401, 404, 413, 415, 503) },
});
const getJobRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}',
  tags: ['jobs'],
  summary: 'A job\'s state, progress, counts and ETA',
  request: { params: JobIdParam },
  responses: { 200: statusResponse('The job\'s status'), ...errors(401, 404, 503) },
});
const resultsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/results',
  tags: ['jobs'],
  summary: 'A job\'s results in input order (all of them once it has succeeded, those so far before)',
  description:
    'format=ndjson (default; the lines of /v1/score/batch, a failed cutout with its error) or format=csv. Header x-darklens-complete says whether every chunk is in; x-darklens-job-state gives the state. drift=true (NDJSON, finished jobs) adds a last line {"drift": [...]}: the drift summary GET /v1/jobs/{id} also gives.',
  request: { params: JobIdParam, query: z.object({ format: z.enum(['ndjson', 'csv']).optional(), drift: z.string().optional().openapi({ description: 'true: a last line with the drift summary (NDJSON, finished jobs).' }) }) },
  responses: { 200: { description: 'One line per cutout', content: { 'application/x-ndjson': { schema: z.string() }, 'text/csv': { schema: z.string() } } }, ...errors(400, 401, 404, 503) },
});
const cancelRoute = createRoute({
  method: 'delete',
  path: '/v1/jobs/{id}',
  tags: ['jobs'],
  summary: 'Cancel a job: chunks not started are skipped, results so far are kept until expiry',
  request: { params: JobIdParam },
  responses: { 200: statusResponse('The job\'s status'), ...errors(401, 404, 503) },
});

/** CSV results: the rows of `darklens score --out results.csv`, columns for every role of the served sets. */
function csvFormat(roles: string[]): ResultFormat {
  return {
    contentType: 'text/csv; charset=utf-8',
    head: csvHeader(roles),
    line: (stored, index) => csvRow({ index, ...(JSON.parse(stored) as Omit<BatchLine, 'index'>) } as BatchLine, roles),
  };
}

function withLinks(c: Context, s: JobStatus): JobStatus & { links: { self: string; results: string } } {
  const self = new URL(`/v1/jobs/${s.id}`, c.req.url).pathname;
  return { ...s, links: { self, results: `${self}/results` } };
}

/** The JSON body of a keys job. */
async function keysInput(c: Context): Promise<JobInput> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch (e) {
    throw new DarklensError('invalid_argument', `the JSON body could not be parsed (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = JobKeysSchema.strict().safeParse(body);
  if (!parsed.success || (parsed.data.keys === undefined) === (parsed.data.prefix === undefined)) {
    throw new DarklensError('invalid_argument', 'a JSON job body is {"keys": ["a.fits", ...]} or {"prefix": "season1/"} (exactly one of them)');
  }
  return { kind: 'keys', ...parsed.data };
}

function chunkParam(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new DarklensError('invalid_argument', `chunk=${v}; accepted: an integer from 1 to 100000`);
  return n;
}

export function jobRoutes(app: App, deps: Deps): void {
  const auth = requireKey(deps.config.apiKeys, 'jobs');
  const { limits } = deps.config;
  for (const r of [createJobRoute, getJobRoute, resultsRoute, cancelRoute]) app.openAPIRegistry.registerPath(r);
  const jobs = (): JobService => {
    if (deps.jobs === undefined) throw new DarklensError('unavailable', 'this deployment runs no jobs (no job store is configured); use /v1/score/batch');
    return deps.jobs;
  };

  app.post('/v1/jobs', auth, limitBody(limits, limits.maxBatchBodyBytes), async (c) => {
    const service = jobs();
    const json = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
    let input: JobInput;
    let fields: Record<string, string> = {};
    if (json) input = await keysInput(c);
    else {
      const upload = await readUpload(c, 'body');
      input = { kind: 'upload', files: upload.files };
      fields = upload.fields;
    }
    const { chunk, ...query } = { ...c.req.query(), ...fields };
    const status = await service.create(input, query, chunkParam(chunk));
    deps.log({ level: 'info', msg: 'job accepted', job: status.id, items: status.items, chunks: status.chunks.total });
    const body = withLinks(c, status);
    return c.json(body, 202, { location: body.links.self });
  });

  app.get('/v1/jobs/:id', auth, async (c) => c.json(withLinks(c, await jobs().status(c.req.param('id')))));

  app.delete('/v1/jobs/:id', auth, async (c) => c.json(withLinks(c, await jobs().cancel(c.req.param('id')))));

  app.get('/v1/jobs/:id/results', auth, async (c) => {
    const service = jobs();
    const format = c.req.query('format') ?? 'ndjson';
    if (format !== 'ndjson' && format !== 'csv') throw new DarklensError('invalid_argument', `format=${format}; accepted: ndjson, csv`);
    const drift = c.req.query('drift');
    if (drift !== undefined && !['true', '1', 'false', '0', ''].includes(drift)) throw new DarklensError('invalid_argument', `drift=${drift}; accepted: true or false`);
    const withDrift = drift === 'true' || drift === '1' || drift === '';
    if (withDrift && format === 'csv') throw new DarklensError('invalid_argument', 'drift=true adds a JSON line, which CSV has no room for: read the drift summary from GET /v1/jobs/{id}');
    const f = format === 'csv' ? csvFormat(rolesOf(deps.store.current())) : NDJSON_FORMAT;
    const { status, body, complete } = await service.results(c.req.param('id'), f, withDrift);
    return new Response(body, {
      headers: { 'content-type': f.contentType, 'cache-control': 'no-store', 'x-darklens-complete': String(complete), 'x-darklens-job-state': status.state },
    });
  });
}
