/**
 * The drift summary's schema (core summarizeDrift's DriftSummary): the last line of
 * /v1/score/batch?drift=true, and what jobs and clients may show. Kept out of schemas.ts so the
 * scoring schemas stay one concern.
 */
import { z } from '@hono/zod-openapi';
import { ScoreQuerySchema } from './schemas.js';

const count = z.number().int();
const fraction = z.number().openapi({ description: 'A share of the set\'s cutouts, 0 to 1.' });

export const DriftModelSchema = z
  .object({
    role: z.string(),
    model: z.string(),
    score: z.string(),
    n: count.openapi({ description: 'Scores of the batch in the test.' }),
    calibrationCount: count,
    ksStatistic: z.number().openapi({ description: 'Two-sample Kolmogorov-Smirnov statistic against the model\'s calibration scores (smooth lenses).' }),
    ksPValue: z.number().openapi({ description: 'Its asymptotic p-value (scipy ks_2samp method=asymp).' }),
    sampleMedian: z.number(),
    calibrationMedian: z.number(),
    calibrationIqr: z.number(),
    medianShift: z.number().nullable().openapi({ description: '(batch median - calibration median) / calibration IQR; null when the IQR is 0.' }),
    tested: z.boolean().openapi({ description: 'Enough scores (20) for the test to warn.' }),
    drifted: z.boolean().openapi({ description: 'KS p < 0.001 and the median moved by at least 0.25 IQR.' }),
  })
  .openapi('DriftModel');

export const DriftSummarySchema = z
  .object({
    set: z.string().openapi({ description: 'The model set the cutouts were routed to.' }),
    cutouts: count,
    failed: count.openapi({ description: 'Cutouts of the whole batch that could not be read or scored (they name no set).' }),
    domain: z.object({ pixelScale: z.number(), psfFwhm: z.number(), noise: z.tuple([z.number(), z.number()]).nullable() }).nullable(),
    models: z.array(DriftModelSchema),
    input: z.object({
      pixelScales: z.array(z.object({ pixelScale: z.number().nullable(), assumed: z.boolean(), count })),
      psfFwhms: z.array(z.object({ psfFwhm: z.number(), count })),
      sizes: z.array(z.object({ width: count, height: count, count })),
      maskedFraction: z.object({ mean: fraction, max: fraction }),
      noise: z.object({ median: z.number().nullable(), below: fraction, above: fraction }).openapi({ description: 'The guard\'s noise proxy (sky noise / image range) against the set\'s calibration range.' }),
    }),
    outOfDomain: z.object({ count, fraction }),
    warnings: z.array(z.string()).openapi({ description: 'What makes the batch unlike the calibration data, in plain words; empty when nothing does.' }),
    drifted: z.boolean(),
  })
  .openapi('DriftSummary', { description: 'Does a batch look like the data its models were calibrated on? One per model set in the batch.' });

export const DriftLineSchema = z
  .object({ drift: z.array(DriftSummarySchema) })
  .openapi('DriftLine', { description: 'The last NDJSON line of /v1/score/batch?drift=true.' });

export type DriftLineBody = z.infer<typeof DriftLineSchema>;

/** /v1/score/batch's parameters: /v1/score's and drift. */
export const BatchQuerySchema = ScoreQuerySchema.extend({
  drift: z.string().optional().openapi({ description: 'true: end the stream with one more line, {"drift": [DriftSummary, ...]}, whether the batch looks like the calibration data of its model sets. Batches only: /v1/score refuses it.', example: 'true' }),
});
