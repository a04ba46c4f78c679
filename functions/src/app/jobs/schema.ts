/** The jobs API's response schemas (for /openapi.json and typed clients). */
import { z } from '@hono/zod-openapi';
import { DriftSummarySchema } from '../drift-schema.js';

const CountsSchema = z.object({
  items: z.number().int().openapi({ description: 'Cutouts processed so far (scored + failed).' }),
  scored: z.number().int(),
  failed: z.number().int().openapi({ description: 'Cutouts that could not be read or scored: each has an error line in the results.' }),
  outOfDomain: z.number().int().openapi({ description: 'Scored cutouts outside their model set\'s domain (flagged by nothing).' }),
  flagged: z.number().int().openapi({ description: 'Cutouts whose ensemble verdict is anomalous.' }),
});

export const JobStatusSchema = z
  .object({
    id: z.string(),
    state: z.enum(['queued', 'running', 'succeeded', 'cancelled']),
    createdAt: z.string(),
    expiresAt: z.string().openapi({ description: 'When the job and its results are removed.' }),
    items: z.number().int().nullable().openapi({ description: 'Cutouts in all; null for object keys until every chunk has run (a key may hold a stack).' }),
    chunks: z.object({ total: z.number().int(), done: z.number().int() }),
    counts: CountsSchema,
    progress: z.number().openapi({ description: 'Finished share of the work, 0 to 1.' }),
    etaSeconds: z.number().nullable(),
    query: z.record(z.string(), z.string()).openapi({ description: 'The scoring parameters of the job.' }),
    source: z.union([
      z.object({ kind: z.literal('upload'), files: z.array(z.string()) }),
      z.object({ kind: z.literal('keys'), keys: z.number().int(), prefix: z.string().nullable() }),
    ]),
    links: z.object({ self: z.string(), results: z.string() }),
    drift: z.array(DriftSummarySchema).nullable().optional().openapi({ description: 'Once the job has succeeded: per model set, its scores against the calibration and its input facts, with plain warnings when it looks unlike the calibration data (see /v1/score/batch drift=true).' }),
  })
  .openapi('JobStatus');

export const JobKeysSchema = z
  .object({
    keys: z.array(z.string()).optional().openapi({ description: 'Object keys of the inputs store (each a cutout file, an NPY stack or a tar).' }),
    prefix: z.string().optional().openapi({ description: 'Every object under this prefix, in key order.' }),
  })
  .openapi('JobKeys');
