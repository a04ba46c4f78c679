/**
 * Calibrating a trained checkpoint: score a held-out set of NORMAL (no-substructure) images with the
 * checkpoint's exported ONNX model (the file that is registered and served, through core's one scoring
 * path: see train/evaluate.ts), every score of its graph, optionally score labelled anomalous sets,
 * and write `calibration.json` beside the model (core's model-calibration.ts: one calibration per
 * score, the ONNX file's sha256, the default score). The normal images must not be the training data:
 * the p-values are only valid when the calibration scores are exchangeable with the scores of new
 * normal images, which training images (the model has fitted them) are not.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { buildModelCalibration, DarklensError, MSE_SCORE, type CalibrationInput, type LabelledMetric, type ModelCalibrationFile } from '@darklens/core';
import type { BackendName } from '../backend/select.js';
import { TRAINING_FILE } from '../train/checkpoint.js';
import { dataFingerprint } from '../train/data.js';
import { evaluate } from '../train/evaluate.js';
import { simulationInput } from '../scoring/model-input.js';

export interface CalibrateOptions {
  /** A checkpoint folder written by train. */
  checkpointDir: string;
  /** Held-out NORMAL (no_sub) images: a .npy/FITS file or folder; never the training set. */
  dataPath: string;
  /** False-positive rates of the quantile thresholds (default [0.01, 0.05]). */
  fprs?: number[];
  /** k values of the mean + k sigma thresholds (default [3]). */
  kSigmas?: number[];
  /** Hand-set threshold values, stored as "manual" (one) or "manual-1", "manual-2"... (several). */
  manual?: number[];
  /** Anomalous image sets for the F1 / Youden thresholds (the normal images are the negatives). */
  labelled?: { path: string; label: 1 }[];
  /** Fit only this labelled metric (default: both f1 and youden when `labelled` is given). */
  metric?: LabelledMetric;
  /** Name of the default threshold (default fpr-0.05 when 0.05 is among fprs, else the first fpr). */
  defaultThreshold?: string;
  /** Seed of the bootstrap resampling (default 0). */
  seed?: number;
  /** Bootstrap resamples of the CIs of the quantile thresholds (default 1000; 0 for no CI). */
  resamples?: number;
  backend?: BackendName;
  /** Use only the first N images of each set. */
  maxImages?: number;
  /** Arcsec per pixel of the images (default: from the simulation manifest `<name>.json` beside the data). */
  pixelScale?: number;
  /** Where to write the file (default `<checkpointDir>/calibration.json`). */
  outPath?: string;
  /** Checked between the scoring passes; an aborted run writes nothing. */
  signal?: AbortSignal;
  /** The score requests get by default (default 'mse'); any score of the model's graph. */
  defaultScore?: string;
  /** Calibrate the checkpoint's float16 export (model.fp16.onnx), the file `models add --fp16` registers. */
  fp16?: boolean;
  /** Where the export is reported (default: stderr). */
  log?: (msg: string) => void;
}

export interface CalibrateResult {
  file: ModelCalibrationFile;
  /** Where calibration.json was written. */
  outPath: string;
  backend: string;
}

interface TrainingInfo {
  model?: unknown;
  inputSize?: unknown;
  darklensVersion?: unknown;
  data?: { path?: unknown; fingerprint?: { kind?: unknown; value?: unknown } };
}

async function readTrainingInfo(checkpointDir: string): Promise<TrainingInfo> {
  const path = join(checkpointDir, TRAINING_FILE);
  if (!existsSync(path)) throw new DarklensError('not_found', `${checkpointDir} is not a darklens checkpoint (no ${TRAINING_FILE})`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new DarklensError('bad_header', `${path} is not valid JSON`, { cause: e });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new DarklensError('bad_header', `${path} does not hold an object`);
  return json;
}

/** Refuses `dataPath` when it is the data the checkpoint was trained on (same resolved path or same fingerprint). */
async function refuseTrainingData(dataPath: string, info: TrainingInfo): Promise<void> {
  const refuse = (how: string): never => {
    throw new DarklensError(
      'invalid_argument',
      `${dataPath} is the data this checkpoint was trained on (${how}); calibration needs held-out normal (no_sub) images that played no part in training, ` +
        'otherwise the thresholds are too low and the p-values are not valid. Simulate a separate set (another seed) or use a held-out split.',
    );
  };
  const trained = info.data?.path;
  if (typeof trained === 'string' && resolve(trained) === resolve(dataPath)) refuse('same path');
  const fp = info.data?.fingerprint;
  if (fp !== undefined && typeof fp.value === 'string') {
    const mine = await dataFingerprint(dataPath);
    if (mine.kind === fp.kind && mine.value === fp.value) refuse('same content fingerprint');
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('calibration aborted');
}

/** Scores `dataPath` (normal, held out) and the labelled sets with the checkpoint and writes calibration.json. */
export async function calibrate(opts: CalibrateOptions): Promise<CalibrateResult> {
  checkAborted(opts.signal);
  const info = await readTrainingInfo(opts.checkpointDir);
  const modelName = typeof info.model === 'string' && info.model !== '' ? info.model : basename(resolve(opts.checkpointDir));
  const inputSize = info.inputSize;
  if (typeof inputSize !== 'number' || !Number.isInteger(inputSize) || inputSize < 1) {
    throw new DarklensError('bad_header', `${join(opts.checkpointDir, TRAINING_FILE)} has no valid inputSize`);
  }
  if (opts.metric !== undefined && (opts.labelled === undefined || opts.labelled.length === 0)) {
    throw new DarklensError('invalid_argument', `the ${opts.metric} threshold needs labelled anomalous images; give at least one anomalous set`);
  }
  if (opts.resamples !== undefined && opts.resamples !== 0 && !(Number.isInteger(opts.resamples) && opts.resamples >= 10)) {
    throw new DarklensError('invalid_argument', `resamples is ${opts.resamples}; 0 (no confidence intervals) or an integer >= 10 is accepted`);
  }
  await refuseTrainingData(opts.dataPath, info);

  const sim = simulationInput(opts.dataPath);
  const pixelScale = opts.pixelScale ?? sim.pixelScale;
  if (pixelScale === undefined) {
    throw new DarklensError(
      'invalid_argument',
      `the pixel scale of ${opts.dataPath} is unknown (no darklens simulate manifest beside it); give it in arcsec per pixel (pixelScale / --pixel-scale)`,
    );
  }
  const input: Omit<CalibrationInput, 'normalization'> = { width: inputSize, height: inputSize, pixelScale };
  if (opts.pixelScale === undefined && sim.psfFwhm !== undefined) input.psfFwhm = sim.psfFwhm;

  const common = {
    checkpointDir: opts.checkpointDir,
    pixelScale,
    ...(opts.fp16 === true ? { fp16: true } : {}),
    ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
    ...(opts.maxImages !== undefined ? { maxImages: opts.maxImages } : {}),
    ...(opts.log !== undefined ? { log: opts.log } : {}),
  };
  const normal = await evaluate({ ...common, dataPath: opts.dataPath });
  checkAborted(opts.signal);
  const defaultScore = opts.defaultScore ?? MSE_SCORE;
  if (!normal.scoreNames.includes(defaultScore)) {
    throw new DarklensError('invalid_argument', `default score ${defaultScore} is not computed by ${normal.onnx.path}; accepted: ${normal.scoreNames.join(', ')}`);
  }

  let labelled: Parameters<typeof buildModelCalibration>[0]['labelled'];
  if (opts.labelled !== undefined && opts.labelled.length > 0) {
    const scores = Object.fromEntries(normal.scoreNames.map((s) => [s, Array.from(normal.scores[s]!)]));
    const labels: number[] = new Array<number>(normal.count).fill(0);
    for (const set of opts.labelled) {
      if (set.label !== 1) throw new DarklensError('invalid_argument', `labelled set ${set.path} has label ${String(set.label)}; only anomalous sets (label 1) are accepted`);
      const r = await evaluate({ ...common, dataPath: set.path, log: () => undefined });
      checkAborted(opts.signal);
      for (const s of normal.scoreNames) scores[s]!.push(...r.scores[s]!);
      for (let i = 0; i < r.count; i++) labels.push(1);
    }
    labelled = { scores, labels, metrics: opts.metric !== undefined ? [opts.metric] : ['f1', 'youden'] };
  }

  const manual = opts.manual ?? [];
  const file = buildModelCalibration({
    model: {
      name: modelName,
      ...(typeof info.darklensVersion === 'string' && info.darklensVersion !== '' ? { version: info.darklensVersion } : {}),
      onnxSha256: normal.onnx.sha256,
    },
    input,
    set: basename(resolve(opts.dataPath)),
    scores: normal.scores,
    defaultScore,
    seed: opts.seed ?? 0,
    ...(opts.fprs !== undefined ? { fprs: opts.fprs } : {}),
    ...(opts.kSigmas !== undefined ? { kSigmas: opts.kSigmas } : {}),
    manual: manual.map((value, i) => ({ name: manual.length === 1 ? 'manual' : `manual-${i + 1}`, value })),
    ...(labelled !== undefined ? { labelled } : {}),
    ...(opts.defaultThreshold !== undefined ? { defaultThreshold: opts.defaultThreshold } : {}),
    bootstrap: opts.resamples === 0 ? false : { resamples: opts.resamples ?? 1000 },
  });

  checkAborted(opts.signal);
  const outPath = opts.outPath ?? join(opts.checkpointDir, 'calibration.json');
  const tmp = join(dirname(outPath), `.${basename(outPath)}.tmp-${process.pid}-${Date.now()}`);
  await mkdir(dirname(outPath), { recursive: true });
  try {
    await writeFile(tmp, JSON.stringify(file, null, 2) + '\n');
    await rename(tmp, outPath);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { file, outPath, backend: normal.backend };
}
