/**
 * Publishing a trained checkpoint into the registry: take its exported ONNX file and the
 * calibration.json computed with exactly that file (`darklens calibrate`, checked by sha256), its
 * evaluation report and pictures (from `darklens evaluate --report`) and loss curve, write the model
 * card, and register the version.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DarklensError, parseModelCalibration, scoreFile } from '@darklens/core';
import type { BackendName } from '../backend/select.js';
import { checkpointOnnx } from '../export/export-checkpoint.js';
import { ONNX_IR_VERSION, ONNX_OPSET } from '../export/export.js';
import { comparisonRow } from '../report/compare.js';
import type { EvaluationReport } from '../report/report.js';
import { openOnnx } from '../scoring/onnx-file.js';
import { readSimulationManifest } from '../simulate/output.js';
import { TRAINING_FILE } from '../train/checkpoint.js';
import { modelCard } from './card.js';
import { addVersion, nextVersion, readRegistry } from './store.js';

export interface PublishOptions {
  /** Registry folder (holds registry.json). */
  root: string;
  checkpointDir: string;
  /** Folder of `darklens evaluate --report` for this checkpoint (report.json, roc.png, scores.png). */
  reportDir?: string;
  version?: string;
  /** Name to register it under (default: the model kind, dcae, vae...); e.g. lsst-dcae for another survey's set. */
  name?: string;
  /** Make it the default even when the model has one already. */
  makeDefault?: boolean;
  fp16?: boolean;
  /** Code commit at registration (the CLI passes `git rev-parse HEAD` when in a checkout); training.json has no commit. */
  commit?: string | null;
  backend?: BackendName;
  log?: (msg: string) => void;
}

async function readJson<T>(path: string, what: string): Promise<T> {
  if (!existsSync(path)) throw new DarklensError('not_found', `${path} not found (${what})`);
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

export async function publishCheckpoint(o: PublishOptions): Promise<{ model: string; version: string; dir: string }> {
  const training = await readJson<Record<string, unknown>>(join(o.checkpointDir, TRAINING_FILE), 'written by darklens train');
  const calibrationPath = join(o.checkpointDir, 'calibration.json');
  if (!existsSync(calibrationPath)) {
    throw new DarklensError('not_found', `${o.checkpointDir} has no calibration.json; run darklens calibrate --checkpoint ${o.checkpointDir} --data <held-out no_sub images> first`);
  }
  const calibrationFile = parseModelCalibration(JSON.parse(await readFile(calibrationPath, 'utf8')));
  const report = o.reportDir !== undefined ? await readJson<EvaluationReport>(join(o.reportDir, 'report.json'), 'written by darklens evaluate --report') : null;
  const model = o.name ?? (typeof training.model === 'string' && training.model !== '' ? training.model : calibrationFile.model.name);
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(model)) throw new DarklensError('invalid_argument', `model name ${JSON.stringify(model)}: accepted: lower-case letters, digits, '.', '_' and '-', 64 at most`);
  const registered = (await readRegistry(o.root)).models[model]?.versions ?? {};
  // A taken version is refused before any file is read, whatever else is wrong with the checkpoint.
  if (o.version !== undefined && Object.hasOwn(registered, o.version)) {
    throw new DarklensError('invalid_argument', `model ${model} already has a version ${o.version}; pick another --new-version`);
  }

  // The registered file is the one calibrated: the calibration's p-values hold for it alone.
  const onnxPath = checkpointOnnx(o.checkpointDir, o.fp16 === true);
  if (!existsSync(onnxPath)) {
    throw new DarklensError('not_found', `${onnxPath} not found; run darklens calibrate --checkpoint ${o.checkpointDir}${o.fp16 === true ? ' --fp16' : ''} first (it exports and calibrates the file)`);
  }
  const graph = await openOnnx(onnxPath);
  await graph.close();
  const calibrated = calibrationFile.model.onnxSha256;
  if (calibrated !== graph.sha256) {
    throw new DarklensError(
      'integrity_mismatch',
      `${calibrationPath} was ${calibrated === undefined ? 'not computed with an exported ONNX file' : `computed with another ONNX file (sha256 ${calibrated.slice(0, 12)}..., ${onnxPath} is ${graph.sha256.slice(0, 12)}...)`}; ` +
        `rerun darklens calibrate --checkpoint ${o.checkpointDir}${o.fp16 === true ? ' --fp16' : ''}`,
    );
  }
  const onnx = new Uint8Array(await readFile(onnxPath));
  const calibration = scoreFile(calibrationFile, calibrationFile.defaultScore);

  const data = (training.data ?? {}) as { path?: string; train?: number; validation?: number; fingerprint?: unknown };
  const options = (training.options ?? {}) as Record<string, unknown>;
  const manifest = typeof data.path === 'string' ? readSimulationManifest(data.path) : null;
  const onnxFile = o.fp16 === true ? 'model.fp16.onnx' : 'model.onnx';
  // The report summed up as a row of the comparison table (without the name), plus the test-set sizes.
  let summary: Record<string, unknown> = {};
  if (report !== null) {
    const { model: _model, ...row } = comparisonRow(model, report);
    summary = { ...row, counts: report.counts };
  }
  const entry = {
    input: calibrationFile.input,
    training: {
      preset: manifest?.preset ?? null,
      spec: manifest?.spec ?? null,
      dataSha256: manifest?.sha256.npy ?? null,
      trainImages: data.train ?? null,
      validationImages: data.validation ?? null,
      epochs: training.epoch ?? null,
      bestEpoch: training.bestEpoch ?? null,
      seed: training.seed ?? null,
      backend: training.backend ?? null,
      optimizer: options.optimizer ?? null,
      schedule: options.schedule ?? null,
      learningRate: options.learningRate ?? null,
      batchSize: options.batchSize ?? null,
      darklensVersion: training.darklensVersion ?? null,
      registeredAtCommit: o.commit ?? null,
      trainedAt: training.savedAt ?? null,
    },
    metrics: summary,
    // The graph's own names: a lazily opened session (Workers) is checked against them.
    onnx: { file: onnxFile, opset: ONNX_OPSET, irVersion: ONNX_IR_VERSION, inputs: [...graph.session.inputNames], outputs: [...graph.session.outputNames] },
  };
  const files: Record<string, string | Uint8Array> = { [onnxFile]: onnx, 'calibration.json': calibrationPath };
  const pictures: { roc?: string; scores?: string; loss?: string } = {};
  if (o.reportDir !== undefined) {
    for (const [role, name] of [['roc', 'roc.png'], ['scores', 'scores.png']] as const) {
      if (existsSync(join(o.reportDir, name))) {
        files[name] = join(o.reportDir, name);
        pictures[role] = name;
      }
    }
  }
  if (existsSync(join(o.checkpointDir, 'loss.png'))) {
    files['loss.png'] = join(o.checkpointDir, 'loss.png');
    pictures.loss = 'loss.png';
  }
  const version = o.version ?? nextVersion(registered);
  const kind = typeof training.model === 'string' && training.model !== '' ? training.model : calibrationFile.model.name;
  files['card.md'] = new TextEncoder().encode(modelCard({ model, kind, version, entry, report, calibration, pictures }));
  const r = await addVersion({ root: o.root, model, version, files, entry, ...(o.makeDefault === true ? { makeDefault: true } : {}) });
  return { model, version: r.version, dir: r.dir };
}
