/** Exporting a checkpoint folder: its best network to ONNX, with its training provenance as metadata. */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { selectBackend, type BackendName } from '../backend/select.js';
import { checkpointInput, psfSigmaPx, type ModelInput } from '../scoring/model-input.js';
import { loadModelFrom, TRAINING_FILE } from '../train/checkpoint.js';
import { exportOnnx, type ExportOptions } from './export.js';

export interface ExportCheckpointOptions extends Pick<ExportOptions, 'fp16' | 'residual'> {
  checkpointDir: string;
  outPath: string;
  /** Pixel scale and PSF FWHM (arcsec) of the model's data, over what the training data's manifest says. */
  input?: Pick<ModelInput, 'pixelScale' | 'psfFwhm'>;
  backend?: BackendName;
  log?: (msg: string) => void;
}

/** The ONNX file `darklens export`, `calibrate` and `evaluate` use inside a checkpoint folder. */
export function checkpointOnnx(dir: string, fp16 = false): string {
  return join(dir, fp16 ? 'model.fp16.onnx' : 'model.onnx');
}

/** Training provenance worth carrying into the ONNX file (from training.json), as strings. */
function provenance(dir: string): Record<string, string> {
  const p = join(dir, TRAINING_FILE);
  if (!existsSync(p)) return {};
  const t = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const k of ['model', 'inputSize', 'epoch', 'bestEpoch', 'bestValLoss', 'seed', 'backend', 'darklensVersion', 'savedAt']) {
    const v = t[k];
    if (typeof v === 'string' || typeof v === 'number') out[`darklens.training.${k}`] = String(v);
  }
  if (t.options !== undefined) out['darklens.training.options'] = JSON.stringify(t.options);
  if (t.data !== undefined) out['darklens.training.data'] = JSON.stringify(t.data);
  return out;
}

export async function exportCheckpoint(opts: ExportCheckpointOptions): Promise<{ outPath: string; bytes: number; model: string; psfSigmaPx: number }> {
  const input = { ...checkpointInput(opts.checkpointDir), ...opts.input };
  if (input.psfFwhm === undefined || input.pixelScale === undefined) {
    opts.log?.(`${opts.checkpointDir}: the PSF of the training data is unknown (no simulation manifest); the filtered scores assume a PSF sigma of 1 pixel (give --psf-fwhm and --pixel-scale to set it)`);
  }
  const sigma = psfSigmaPx(input);
  const { tf } = await selectBackend({ ...(opts.backend !== undefined ? { force: opts.backend } : {}), ...(opts.log ? { log: opts.log } : {}) });
  const model = await loadModelFrom(tf, opts.checkpointDir);
  try {
    const bytes = exportOnnx(model, {
      psfSigmaPx: sigma,
      ...(opts.fp16 === true ? { fp16: true } : {}),
      ...(opts.residual === true ? { residual: true } : {}),
      metadata: { 'darklens.model': model.name, 'darklens.weights': opts.fp16 === true ? 'float16' : 'float32', ...provenance(opts.checkpointDir) },
    });
    await mkdir(dirname(opts.outPath), { recursive: true });
    await writeFile(opts.outPath, bytes);
    return { outPath: opts.outPath, bytes: bytes.length, model: model.name, psfSigmaPx: sigma };
  } finally {
    model.dispose();
  }
}
