/** POST /v1/score (one cutout, JSON answer) and POST /v1/score/batch (many, NDJSON in input order). */
import { createRoute, z } from '@hono/zod-openapi';
import { DarklensError, RUN_BATCH } from '@darklens/core';
import type { App, Deps } from '../context.js';
import { DriftWatch } from '../drift.js';
import { BatchQuerySchema, DriftLineSchema } from '../drift-schema.js';
import { errorBody, publicError } from '../http-errors.js';
import { batchItems, decodeOne, decodeOptions, readUpload, singleFile, RAW_TYPES, type BatchItem } from '../inputs.js';
import { requireKey } from '../middleware/auth.js';
import { limitBody } from '../middleware/body-limit.js';
import type { ModelSet } from '../model-store.js';
import { inOrder } from '../in-order.js';
import { countScores } from '../score-metrics.js';
import { parseScoreQuery } from '../score-options.js';
import { BatchLineSchema, ErrorSchema, ScoreQuerySchema, ScoreResultSchema, type ScoreResult } from '../schemas.js';
import { scoreCutouts, type ScoreOptions } from '../scoring.js';

/** Items decoded and scored per step of a batch stream. */
const STREAM_STEP = RUN_BATCH * 2;

const binary = { schema: z.string().openapi({ type: 'string', format: 'binary' }) };
const fileBody = (description: string) => ({
  description,
  required: true,
  content: {
    ...Object.fromEntries(RAW_TYPES.map((t) => [t, binary])),
    'multipart/form-data': {
      schema: z.object({ file: z.string().openapi({ type: 'string', format: 'binary' }) }).catchall(z.string()),
    },
  },
});
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } }]));

export const scoreRoute = createRoute({
  method: 'post',
  path: '/v1/score',
  tags: ['score'],
  summary: 'Score one cutout with every chosen model',
  description:
    'The body is the file itself (FITS, FITS.gz, NPY, PNG or JPEG; recognised by content, not by name) or a multipart form with one file; form fields may carry the query parameters. Preprocessing is the one training used: resampling to the model\'s pixel scale (flux-conserving), min-max scaling, masked pixels filled and left out of the loss.',
  request: { query: ScoreQuerySchema, body: fileBody('One cutout') },
  responses: { 200: { description: 'Per-model scores and the ensemble verdict', content: { 'application/json': { schema: ScoreResultSchema } } }, ...errors(400, 401, 404, 413, 415, 422, 503) },
});

export const batchRoute = createRoute({
  method: 'post',
  path: '/v1/score/batch',
  tags: ['score'],
  summary: 'Score many cutouts, streamed back as NDJSON',
  description:
    'The body is an NPY stack [N,H,W] or [N,1,H,W], a tar (or tar.gz) of cutout files, or a multipart form of files. One JSON line per cutout comes back in input order, as soon as it is scored; a cutout that cannot be read gets an error line and the batch goes on. With drift=true one more line ends the stream, {"drift": [DriftSummary, ...]}: per model set, the batch\'s scores against each model\'s calibration scores (two-sample KS test, median shift in calibration IQRs) and its input facts (pixel scales, PSF, sizes, masked pixels, the noise proxy against the set\'s range, out-of-domain cutouts), with plain warnings when the batch looks unlike the calibration data.',
  request: { query: BatchQuerySchema, body: fileBody('Many cutouts') },
  responses: { 200: { description: 'One line per cutout, then the drift line when drift=true', content: { 'application/x-ndjson': { schema: z.union([BatchLineSchema, DriftLineSchema]) } } }, ...errors(400, 401, 404, 413, 415, 503) },
});

function queryOf(c: { req: { query(): Record<string, string> } }, fields: Record<string, string> = {}): Record<string, string> {
  return { ...c.req.query(), ...fields };
}

/** Takes `drift` out of the batch parameters (parseScoreQuery refuses parameters it does not know). */
function takeDrift(query: Record<string, string>): boolean {
  const v = query.drift;
  delete query.drift;
  if (v === undefined || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1' || v === '') return true;
  throw new DarklensError('invalid_argument', `drift=${v}; accepted: true or false`);
}

export function scoreRoutes(app: App, deps: Deps): void {
  const { limits } = deps.config;
  const auth = requireKey(deps.config.apiKeys, 'scoring');
  app.openAPIRegistry.registerPath(scoreRoute);
  app.openAPIRegistry.registerPath(batchRoute);

  app.post('/v1/score', auth, limitBody(limits, limits.maxBodyBytes), async (c) => {
    const upload = await readUpload(c);
    const query = queryOf(c, upload.fields);
    if (Object.hasOwn(query, 'drift')) throw new DarklensError('invalid_argument', 'drift is for batches: POST /v1/score/batch?drift=true ends the stream with a drift summary of its cutouts; one cutout has no distribution to compare');
    const result = await deps.store.use(async (set) => {
      const { options, hdu } = parseScoreQuery(query, set);
      const file = singleFile(upload);
      let cutout;
      try {
        cutout = decodeOne(file, decodeOptions(limits, hdu));
      } catch (e) {
        cutout = publicError(e);
      }
      const [r] = await scoreCutouts(set, [cutout], options);
      return r!;
    });
    countScores(deps.metrics, result);
    if (result instanceof DarklensError) throw result;
    return c.json(result);
  });

  app.post('/v1/score/batch', auth, limitBody(limits, limits.maxBatchBodyBytes), async (c) => {
    const upload = await readUpload(c, 'body');
    const set = deps.store.current();
    const query = queryOf(c, upload.fields);
    const drift = takeDrift(query);
    const { options, hdu } = parseScoreQuery(query, set);
    const items = batchItems(upload, limits, decodeOptions(limits, hdu));
    set.acquire();
    return new Response(batchStream(deps, set, items, options, drift ? new DriftWatch(set) : undefined), {
      headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' },
    });
  });
}

/**
 * NDJSON lines, produced step by step as the client reads: two steps in flight (in-order.ts), so the
 * next step's inference is queued while one step's lines are written, and memory stays bounded by two
 * steps. The set is held until every started step has finished, even when the client goes away
 * mid-step: its sessions must not be released (on a reload or at shutdown) while a step still runs on them.
 */
function batchStream(deps: Deps, set: ModelSet, items: BatchItem[], options: ScoreOptions, watch?: DriftWatch): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let released = false;
  let cancelled = false;
  const release = (): void => {
    if (!released) set.release();
    released = true;
  };
  const steps = inOrder(Math.ceil(items.length / STREAM_STEP), scoreStep);
  let next = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let got;
      try {
        got = await steps.next();
      } catch (e) {
        release(); // the generator has ended, every step it started settled: the stream errors
        throw e;
      }
      if (cancelled) return;
      if (got.done === true) {
        // The drift line reads the set's calibrations: before the set is released.
        try {
          if (watch !== undefined) controller.enqueue(encoder.encode(`${JSON.stringify({ drift: watch.summary() })}\n`));
        } catch (e) {
          deps.log({ level: 'error', msg: 'drift summary failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        } finally {
          release();
        }
        controller.close();
        return;
      }
      controller.enqueue(linesOf(next, got.value));
      next += got.value.length;
    },
    async cancel() {
      cancelled = true;
      // Ends the steps once those started have finished (the generator's finally), then lets the set go.
      await steps.return().finally(release);
    },
  });

  /** Decodes and scores step k's items (the lines are made in order, by linesOf). */
  async function scoreStep(k: number): Promise<(ScoreResult | DarklensError)[]> {
    const step = items.slice(k * STREAM_STEP, (k + 1) * STREAM_STEP);
    const cutouts = step.map((it) => {
      try {
        return it.load();
      } catch (e) {
        return publicError(e);
      }
    });
    try {
      return await scoreCutouts(set, cutouts, options);
    } catch (e) {
      deps.log({ level: 'error', msg: 'batch step failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      return step.map(() => publicError(e));
    }
  }

  /** The NDJSON lines of the results of the items from `start` on. */
  function linesOf(start: number, results: (ScoreResult | DarklensError)[]): Uint8Array {
    const lines = results.map((r, j) => {
      countScores(deps.metrics, r);
      const head = { index: start + j, name: items[start + j]!.name };
      const line = r instanceof DarklensError ? { ...head, ...errorBody(r) } : { ...head, ...r };
      watch?.add(line);
      return JSON.stringify(line);
    });
    return encoder.encode(`${lines.join('\n')}\n`);
  }
}
