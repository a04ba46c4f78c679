/**
 * Quantizing an exported ONNX file end to end (Node): activation ranges measured by running smooth
 * lenses, prepared exactly as the service prepares cutouts (prepareCutout, graphFeeds), through the
 * fp32 graph on the server's onnxruntime-node engine with the needed intermediate tensors exposed as
 * outputs; then the QDQ rewrite (quantize.ts); then both graphs score the same lenses through
 * runScores, so the caller sees how far the int8 scores moved before measuring AUCs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { DarklensError, graphFeeds, SeededRng, prepareCutout, readContract, runScores, type GraphContract, type ModelGrid, type ModelSession, type PreparedCutout } from '@darklens/core';
import { ortNodeEngine } from '@darklens/functions/node';
import { readCutouts } from '../scoring/cutouts.js';
import { bodyModel, calibrationModel, planQuantization, quantizationSnrDb, quantizeModel, type QuantizePlan, type Range } from './quantize.js';
import { decodeOnnx, encodeOnnx } from './quantize-proto.js';

/** Calibration lenses by default: a few hundred, as static quantization usually takes. */
export const QUANTIZE_IMAGES = 512;
/**
 * Default of `minSnrDb`: 0, every layer that can be. On the validation sets keeping the low-SNR
 * layers in float32 did not move the AUC consistently towards fp32 (docs/results/quantize.md).
 */
export const QUANTIZE_MIN_SNR_DB = 0;
const BATCH = 32;

export interface QuantizeFileOptions {
  modelPath: string;
  /** Smooth lenses (.npy or folder) to calibrate on: never the test sets. */
  dataPath: string;
  /** The model's grid (as registered); missing parts are the images'. */
  grid?: Partial<ModelGrid>;
  images?: number;
  /** Default: beside the model, `<name>.int8.onnx`. */
  outPath?: string;
  /** Layers (node names) to keep in float32. */
  exclude?: readonly string[];
  /**
   * Keep in float32 the layers writing or reading an activation whose 8-bit copy has an SNR below
   * this (dB, on the calibration lenses): peaked, long-tailed tensors that 256 levels describe badly.
   * Default QUANTIZE_MIN_SNR_DB; 0 quantizes every layer that can be.
   */
  minSnrDb?: number;
}

export interface ScoreAgreement {
  /** Median and largest |int8 - fp32| / |fp32| over the calibration lenses. */
  median: number;
  max: number;
}

export interface QuantizeFileResult {
  outPath: string;
  bytes: number;
  fp32Bytes: number;
  images: number;
  plan: QuantizePlan;
  /** Every candidate activation's SNR at 8 bits on the calibration lenses, dB. */
  snrDb: Record<string, number>;
  /** Per score of the graph, on the calibration lenses. */
  agreement: Record<string, ScoreAgreement>;
}

/** `<dir>/<name>.onnx` -> `<dir>/<name>.int8.onnx`. */
export function int8Path(modelPath: string): string {
  return modelPath.replace(/(\.onnx)?$/i, '.int8.onnx');
}

/** Prepared cutouts of `dataPath` on the model's grid. */
async function prepared(dataPath: string, grid: Partial<ModelGrid> | undefined, count: number): Promise<{ items: PreparedCutout[]; grid: ModelGrid }> {
  const cutouts = await readCutouts(dataPath, { maxImages: count });
  const first = cutouts[0]!;
  const g: ModelGrid = { width: grid?.width ?? first.width, height: grid?.height ?? first.height, pixelScale: grid?.pixelScale ?? first.pixelScale ?? 1 };
  return { items: cutouts.map((c) => prepareCutout(c, g)), grid: g };
}

/** Values kept per tensor to measure its quantization SNR (a random subsample). */
const SAMPLES = 1 << 18;

export interface MeasuredTensors {
  ranges: Map<string, Range>;
  /** Each tensor's signal-to-quantization-noise ratio at 8 bits over its range, dB. */
  snrDb: Map<string, number>;
}

/** The range of every `tensors` entry over the lenses (read from the graph's feeds or exposed outputs) and its SNR at 8 bits. */
export async function measureTensors(session: ModelSession, contract: GraphContract, grid: ModelGrid, items: readonly PreparedCutout[], tensors: readonly string[]): Promise<MeasuredTensors> {
  const ranges = new Map<string, Range>(tensors.map((t) => [t, { min: Infinity, max: -Infinity }]));
  const samples = new Map<string, number[]>(tensors.map((t) => [t, []]));
  const rates = new Map<string, number>();
  const rng = new SeededRng(1);
  const fetch = tensors.filter((t) => !session.inputNames.includes(t));
  for (let start = 0; start < items.length; start += BATCH) {
    const chunk = items.slice(start, start + BATCH);
    const feeds = graphFeeds(contract, grid, chunk);
    const got = fetch.length > 0 ? await session.run(feeds, fetch) : {};
    for (const t of tensors) {
      const data = (feeds[t] ?? got[t])!.data;
      const r = ranges.get(t)!;
      if (!rates.has(t)) rates.set(t, Math.min(1, SAMPLES / ((data.length / chunk.length) * items.length)));
      const rate = rates.get(t)!;
      const keep = samples.get(t)!;
      for (let k = 0; k < data.length; k++) {
        const v = data[k]!;
        if (v < r.min) r.min = v;
        if (v > r.max) r.max = v;
        // A seeded random subsample: a regular stride would follow the tensor's layout (one column of each channel).
        if (rate === 1 || rng.uniform() < rate) keep.push(v);
      }
    }
  }
  const snrDb = new Map<string, number>();
  for (const [t, r] of ranges) {
    if (!Number.isFinite(r.min) || !Number.isFinite(r.max)) throw new DarklensError('internal', `quantize: tensor ${t} took non-finite values during calibration`);
    snrDb.set(t, quantizationSnrDb(Float32Array.from(samples.get(t)!), r));
  }
  return { ranges, snrDb };
}

function agreement(a: Float64Array, b: Float64Array): ScoreAgreement {
  const rel = Array.from(a, (v, i) => Math.abs(b[i]! - v) / Math.max(Math.abs(v), 1e-30)).sort((x, y) => x - y);
  return { median: rel[Math.floor(rel.length / 2)] ?? 0, max: rel[rel.length - 1] ?? 0 };
}

/** Quantizes one exported model file; writes the int8 file and says what changed. */
export async function quantizeFile(o: QuantizeFileOptions): Promise<QuantizeFileResult> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(o.modelPath));
  } catch (e) {
    throw new DarklensError('not_found', `cannot read the ONNX model ${o.modelPath}: ${(e as Error).message}`, { cause: e });
  }
  const model = decodeOnnx(bytes);
  const contract = readContract(o.modelPath, model.inputs.map((i) => i.name), model.outputs.map((v) => v.name));
  const exclude = o.exclude !== undefined ? { exclude: o.exclude } : {};
  const candidates = planQuantization(model, exclude);
  if (candidates.nodes.length === 0) throw new DarklensError('invalid_argument', `${o.modelPath}: no layer can be quantized (${candidates.skipped.map((s) => `${s.name}: ${s.why}`).join('; ')})`);
  const { items, grid } = await prepared(o.dataPath, o.grid, o.images ?? QUANTIZE_IMAGES);
  const engine = ortNodeEngine();
  const calib = await engine.createSession(encodeOnnx(calibrationModel(model, candidates.tensors)));
  let measured: MeasuredTensors;
  try {
    measured = await measureTensors(calib, contract, grid, items, candidates.tensors);
  } finally {
    await calib.release();
  }
  const low = new Set([...measured.snrDb].filter(([, db]) => db < (o.minSnrDb ?? QUANTIZE_MIN_SNR_DB)).map(([t]) => t));
  // Fewer layers need no new ranges: their tensors are among the candidates'.
  const plan = low.size > 0 ? planQuantization(model, { ...exclude, floatTensors: low }) : candidates;
  if (plan.nodes.length === 0) throw new DarklensError('invalid_argument', `${o.modelPath}: every layer's activations are below ${o.minSnrDb} dB at 8 bits; nothing left to quantize`);
  const int8 = encodeOnnx(quantizeModel(model, plan, measured.ranges));
  const outPath = o.outPath ?? int8Path(o.modelPath);
  await writeFile(outPath, int8);

  const sessions = [await engine.createSession(bytes), await engine.createSession(int8)] as const;
  try {
    const [fp32Scores, int8Scores] = await Promise.all(sessions.map((s) => runScores(s, contract, grid, items, { scores: contract.scores })));
    const agree = Object.fromEntries(contract.scores.map((s) => [s, agreement(fp32Scores!.scores.get(s)!, int8Scores!.scores.get(s)!)]));
    return { outPath, bytes: int8.length, fp32Bytes: bytes.length, images: items.length, plan, snrDb: Object.fromEntries(measured.snrDb), agreement: agree };
  } finally {
    for (const s of sessions) await s.release();
  }
}

/** The network alone (input -> reconstruction) of a model file: to time what int8 changes without the float scoring head. */
export function networkOnly(bytes: Uint8Array): Uint8Array {
  return encodeOnnx(bodyModel(decodeOnnx(bytes)));
}
