/**
 * The API's schemas, in one place: request parameters are parsed with them, /openapi.json is
 * generated from them, and the TypeScript types of responses (for the server and for API clients
 * such as the web page) are inferred from them.
 */
import { z } from '@hono/zod-openapi';

const csv = (description: string, example: string) => z.string().optional().openapi({ description, example });

export const ScoreQuerySchema = z
  .object({
    models: csv('Comma-separated models by role, e.g. dcae,vae (default: every model of the cutout\'s set).', 'dcae,vae'),
    survey: z.string().optional().openapi({
      description: 'The model set that scores the cutouts, by name or alias (see /v1/models sets), or auto (default): by the FITS header\'s pixel scale and PSF, else the default set.',
      example: 'lsst',
    }),
    score: z.string().optional().openapi({
      description: 'The anomaly score every model uses: mse, chi2, psf, mf, mf2 or sharp (see /v1/models for what each model calibrates). Default: each model\'s calibrated default.',
      example: 'mf',
    }),
    threshold: z.string().optional().openapi({
      description: 'A threshold name from the models\' calibration (e.g. fpr-0.01, fpr-0.05, mean+3sigma) or an explicit loss value (one model only). Default: each calibration\'s default.',
      example: 'fpr-0.01',
    }),
    fpr: z.string().optional().openapi({ description: 'Flag at this false-positive rate on the calibration set, in (0, 1); overrides threshold.', example: '0.01' }),
    alpha: z.string().optional().openapi({ description: 'Significance level of the ensemble verdict, in (0, 1). Default: the FPR of the thresholds used, else 0.05.', example: '0.01' }),
    combine: z.string().optional().openapi({ description: 'How the models\' p-values are combined: cauchy (default; Cauchy combination test) or bonferroni (valid under any dependence).', example: 'cauchy' }),
    ensemble: z.string().optional().openapi({
      description: 'A named ensemble of the registry (see /v1/models): the models\' scores and weights of the verdict. Default: the registry\'s default ensemble when neither models nor score is given, else the chosen models at equal weights.',
      example: 'default',
    }),
    outputs: csv('Images to return per model: any of input, reconstruction, residual (default none).', 'residual,reconstruction'),
    encoding: z.string().optional().openapi({ description: 'How returned images are encoded: png (data URL, default), array (float values) or both.', example: 'png' }),
    hdu: z.string().optional().openapi({ description: 'FITS only: the HDU to read, by index or EXTNAME (default: the first with an image).', example: '1' }),
  })
  .openapi('ScoreQuery');

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string().openapi({ example: 'unsupported_format' }), message: z.string() }) })
  .openapi('Error');

const ImageOutputSchema = z
  .object({
    png: z.string().optional().openapi({ description: 'data:image/png;base64,...' }),
    array: z.object({ shape: z.tuple([z.number().int(), z.number().int()]), data: z.array(z.number()) }).optional(),
    scale: z.number().optional().openapi({ description: 'Residual only: max |residual|, the value drawn at full colour.' }),
  })
  .openapi('ImageOutput');

export const ThresholdSchema = z.object({
  name: z.string().nullable(),
  value: z.number(),
  fpr: z.number().nullable(),
});

export const ModelScoreSchema = z
  .object({
    model: z.string().openapi({ description: 'The registered model (a set\'s role maps to one).', example: 'lsst-rbm' }),
    version: z.string(),
    score: z.string().openapi({ description: 'The anomaly score used (its definition: /v1/models).', example: 'mf' }),
    loss: z.number().openapi({ description: 'The value of that score for this cutout (mse: per-image MSE between the [0,1]-scaled input and its reconstruction).' }),
    threshold: ThresholdSchema,
    pValue: z.number().openapi({ description: '(1 + #calibration scores >= loss) / (n + 1): valid for normal images.' }),
    percentile: z.number(),
    normalizedScore: z.number().openapi({ description: '0 = lowest calibration score, 0.5 = threshold, 1 = highest.' }),
    flagged: z.boolean(),
    outputs: z.partialRecord(z.enum(['input', 'reconstruction', 'residual']), ImageOutputSchema).optional(),
  })
  .openapi('ModelScore');

export const EnsembleSchema = z
  .object({
    method: z.enum(['cauchy', 'bonferroni']),
    name: z.string().nullable().openapi({ description: 'The registry ensemble used (null: the chosen models at equal weights).' }),
    members: z.array(z.object({ model: z.string(), score: z.string(), weight: z.number(), pValue: z.number() })),
    pValue: z.number().openapi({ description: 'The members\' p-values combined with their weights (weighted Cauchy or Bonferroni).' }),
    alpha: z.number(),
    flagged: z.boolean(),
    models: z.array(z.string()),
  })
  .openapi('Ensemble');

export const InputSummarySchema = z.object({
  format: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  pixelScale: z.number().nullable(),
  psfFwhm: z.number().nullable().openapi({ description: 'PSF FWHM in arcsec when the file states one (FITS PSFFWHM, PSF_FWHM, SEEING, PSFSIG).' }),
  assumedPixelScale: z.boolean(),
  masked: z.number().int(),
  resampled: z.object({ fromScale: z.number(), toScale: z.number() }).nullable(),
  noise: z.enum(['variance-plane', 'estimated']).openapi({ description: 'Where the noise variance of the noise-aware scores came from: the file\'s variance plane, or estimated from the cutout.' }),
});

export const RouteSchema = z
  .object({
    name: z.string().openapi({ description: 'The model set that scored the cutout.' }),
    routedBy: z.enum(['survey', 'header', 'default']).openapi({ description: 'survey=, the file\'s pixel scale and PSF, or the default set (a file without them).' }),
    note: z.string(),
  })
  .openapi('Route');

export const DomainSchema = z
  .object({
    outOfDomain: z.boolean().openapi({ description: 'True when the cutout is unlike the data its set was trained for: then nothing is flagged and the verdict is "out of domain".' }),
    reasons: z.array(z.object({ check: z.string(), message: z.string() })),
    stats: z.object({ radius: z.number(), sharpness: z.number().nullable(), noise: z.number(), relativeWidth: z.number().nullable() }).openapi({ description: 'What the guard measured on the model grid: lens radius (px), finest-structure width (px; null when noise hides all structure), noise relative to the image range, width relative to radius.' }),
  })
  .openapi('Domain');

export const ScoreResultSchema = z
  .object({
    input: InputSummarySchema,
    set: RouteSchema,
    domain: DomainSchema,
    verdict: z.enum(['smooth', 'anomalous', 'out of domain']).openapi({ description: 'The ensemble verdict, or "out of domain" (never "anomalous") when the guard fired.' }),
    models: z.record(z.string(), ModelScoreSchema),
    ensemble: EnsembleSchema,
  })
  .openapi('ScoreResult');

export const BatchLineSchema = z
  .union([
    ScoreResultSchema.extend({ index: z.number().int(), name: z.string() }),
    z.object({ index: z.number().int(), name: z.string(), error: ErrorSchema.shape.error }),
  ])
  .openapi('BatchLine', { description: 'One NDJSON line of /v1/score/batch, in input order.' });

export const HistogramSchema = z.object({ edges: z.array(z.number()), counts: z.array(z.number().int()) });

export const ModelSummarySchema = z
  .object({
    name: z.string(),
    version: z.string(),
    versions: z.array(z.string()),
    input: z.object({ width: z.number().int(), height: z.number().int(), pixelScale: z.number(), normalization: z.string(), psfFwhm: z.number().optional() }),
    score: z.string().openapi({ description: 'The score the thresholds, calibration and histogram below describe.', example: 'mf' }),
    defaultScore: z.string().openapi({ description: 'The score requests get when they name none.' }),
    availableScores: z.array(z.object({ name: z.string(), definition: z.string() })).openapi({ description: 'Every calibrated score (score= accepts these).' }),
    thresholds: z.object({
      default: z.string(),
      quantileRule: z.enum(['empirical', 'conformal']).openapi({ description: 'How a threshold at an FPR is read off the sorted scores (core quantileThreshold).' }),
      items: z.array(z.object({ name: z.string(), value: z.number(), method: z.string(), fpr: z.number().optional() })),
    }),
    calibration: z.object({ set: z.string(), count: z.number().int(), min: z.number(), max: z.number() }),
    histogram: HistogramSchema,
    metrics: z.record(z.string(), z.unknown()),
    training: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
  })
  .openapi('ModelSummary');

export const ModelDetailSchema = ModelSummarySchema.extend({
  scores: z.array(z.number()).openapi({ description: 'The sorted calibration scores, so a client can move a threshold itself.' }),
}).openapi('ModelDetail');

export const EnsembleInfoSchema = z
  .object({
    members: z.array(z.object({ model: z.string(), score: z.string(), weight: z.number() })),
    chosenBy: z.string().optional(),
    metrics: z.record(z.string(), z.unknown()).optional(),
    createdAt: z.string().optional(),
  })
  .openapi('EnsembleInfo');

export const ModelListSchema = z
  .object({
    generation: z.number().int(),
    loadedAt: z.string(),
    models: z.array(ModelSummarySchema),
    ensembles: z.record(z.string(), EnsembleInfoSchema).openapi({ description: 'The registry\'s named ensembles (ensemble= on the scoring routes).' }),
    defaultEnsemble: z.string().nullable(),
    sets: z
      .array(
        z.object({
          name: z.string(),
          default: z.boolean().openapi({ description: 'The set cutouts get when survey= and their header do not route them elsewhere.' }),
          aliases: z.array(z.string()),
          domain: z.record(z.string(), z.unknown()).openapi({ description: 'What the set was trained for (survey, preset, pixelScale, psfFwhm, snr) and the guard\'s ranges.' }),
          models: z.record(z.string(), z.string()).openapi({ description: 'Role (models=) -> registered model.' }),
          ensembles: z.record(z.string(), z.string()).openapi({ description: 'Ensemble name (ensemble=) -> registered ensemble.' }),
          defaultEnsemble: z.string().nullable(),
        }),
      )
      .openapi({ description: 'Model sets by domain (survey= on the scoring routes).' }),
    defaultSet: z.string(),
  })
  .openapi('ModelList');

export type ScoreQuery = z.infer<typeof ScoreQuerySchema>;
export type ScoreResult = z.infer<typeof ScoreResultSchema>;
export type ModelScore = z.infer<typeof ModelScoreSchema>;
export type Ensemble = z.infer<typeof EnsembleSchema>;
export type InputSummary = z.infer<typeof InputSummarySchema>;
export type ImageOutput = z.infer<typeof ImageOutputSchema>;
export type BatchLine = z.infer<typeof BatchLineSchema>;
export type ModelSummary = z.infer<typeof ModelSummarySchema>;
export type ModelDetail = z.infer<typeof ModelDetailSchema>;
export type ModelList = z.infer<typeof ModelListSchema>;
