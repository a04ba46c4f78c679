import type { LensClass, SimulationSpec } from './presets.js';
import { drawParams, type LensParams } from './params.js';
import { minMaxScale } from '@darklens/core';
import { renderLens } from './render.js';

/** What a simulation run is: everything a worker needs to make any image of it. */
export interface SimulationJob {
  spec: SimulationSpec;
  klass: LensClass;
  seed: number;
  count: number;
  /** Also return the unscaled images (for FITS output). */
  keepRaw: boolean;
}

/** One rendered image with its full parameter record. */
export interface SimulatedImage {
  index: number;
  /** Min-max scaled to [0, 1], the form the models see. */
  scaled: Float32Array;
  /** Physical units (sky-subtracted counts per unit exposure), only when keepRaw. */
  raw?: Float32Array;
  record: ImageRecord;
}

/** The JSONL line written for each image: every drawn parameter plus what rendering derived. */
export type ImageRecord = LensParams & { exposure: number; rawMin: number; rawMax: number };

/** Renders images [start, end) of a job into one contiguous block (what a worker sends back). */
export function renderRange(job: SimulationJob, start: number, end: number): { scaled: Float32Array; raw?: Float32Array; records: ImageRecord[] } {
  const pixels = job.spec.grid * job.spec.grid;
  const scaled = new Float32Array((end - start) * pixels);
  const raw = job.keepRaw ? new Float32Array((end - start) * pixels) : undefined;
  const records: ImageRecord[] = [];
  for (let i = start; i < end; i++) {
    const params = drawParams(job.spec, job.klass, job.seed, i);
    const r = renderLens(params);
    const off = (i - start) * pixels;
    minMaxScale(r.image, scaled.subarray(off, off + pixels));
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of r.image) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (raw) raw.set(r.image, off);
    records.push({ ...params, exposure: r.exposure, rawMin: lo, rawMax: hi });
  }
  return raw ? { scaled, raw, records } : { scaled, records };
}
