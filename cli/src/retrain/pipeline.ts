/**
 * `darklens retrain`: from data to a served version. The steps, each resumable (steps.ts):
 *   data -> benchmark -> train -> calibrate (exports the ONNX file, calibrated through the serving
 *   path) -> evaluate (candidate on the benchmark) -> baseline (the current default on the same
 *   benchmark, recorded) -> register (next version, not yet the default) -> gate -> promote -> deploy.
 * A failed gate stops before promote (the version stays registered, not served); --force promotes it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DarklensError } from '@darklens/core';
import { calibrate, evaluate, promote, publishCheckpoint, readRegistry, resolveSpec, train, type BackendName, type ModelName } from '@darklens/training';
import { benchmarkModel, benchmarkSet, ensureBenchmark, recordedBaseline, type BenchmarkSet } from './benchmark.js';
import { ownData, presetData, type RetrainData } from './data.js';
import { gateMarkdown, judge, type GateInput, type GateSide, type GateTolerances, type GateVerdict } from './gate.js';
import { optionsDifference, readRetrainState, STATE_FILE, writeRetrainState, type RetrainState } from './state.js';
import { runSteps, type Step, type StepEvents } from './steps.js';

export interface RetrainOptions {
  /** The registered model to give a new version (dcae, lsst-vae...), or a new name with `kind`. */
  model: string;
  kind: ModelName;
  /** Simulated data of this preset, or the user's own smooth cutouts at `data`. Also the benchmark's preset. */
  preset: string;
  data?: string;
  registry: string;
  workdir: string;
  benchmarkRoot: string;
  benchmarkPerClass: number;
  seed: number;
  epochs?: number;
  trainImages: number;
  calibImages: number;
  backend?: BackendName;
  pixelScale: number;
  /** PSF FWHM (arcsec) of the user's own cutouts (default: the model's), for the filtered scores. */
  psfFwhm?: number;
  /** Input size of the model's grid (an existing model's; checked against the data). */
  size?: number;
  /** The score the candidate is calibrated, gated and served by. */
  score: string;
  tolerances: GateTolerances;
  force: boolean;
  /** Stage register/promote in a copy of the registry and let the deploy step print its plan. */
  dryRun: boolean;
  /** Start over in `workdir` (the recorded steps are forgotten). */
  restart: boolean;
  signal?: AbortSignal;
}

/** Where a deploy step publishes the (possibly staged) registry. */
export type DeployStep = (registry: string, o: { dryRun: boolean; model: string; out: (line: string) => void }) => Promise<string[]>;

export interface RetrainHooks extends StepEvents {
  deploy: DeployStep;
  /** A progress bar for the step running now; call tick with the count done so far. */
  progress(total: number, unit: string): { update: (done: number) => void; done: () => void };
  log: (msg: string) => void;
  /** The run's results as they come (the gate's report, the deploy's operations): stdout. */
  report: (text: string) => void;
}

export interface RetrainOutcome {
  version: string;
  verdict: GateVerdict;
  gateReport: string;
  promoted: boolean;
  deployed: string[];
}

interface Ctx {
  o: RetrainOptions;
  h: RetrainHooks;
  set: BenchmarkSet;
  checkpoint: string;
  /** The registry register and promote write: the user's, or its staged copy in a dry run. */
  registry: string;
  results: Record<string, unknown>;
}

const STEPS: readonly Step<Ctx>[] = [
  {
    name: 'data',
    label: (c) => (c.o.data !== undefined ? `split ${c.o.data} into training, calibration and held-out cutouts` : `simulate ${c.o.trainImages} training and ${c.o.calibImages} calibration lenses (${c.o.preset}, seed ${c.o.seed})`),
    run: async (c) => {
      const dir = join(c.o.workdir, 'data');
      if (c.o.data !== undefined) return ownData({ path: c.o.data, seed: c.o.seed, pixelScale: c.o.pixelScale, dir, ...(c.o.size !== undefined ? { size: c.o.size } : {}) });
      const bar = c.h.progress(c.o.trainImages + c.o.calibImages, 'lenses');
      const d = await presetData({ preset: c.o.preset, seed: c.o.seed, trainImages: c.o.trainImages, calibImages: c.o.calibImages, dir, onProgress: bar.update, ...(c.o.signal !== undefined ? { signal: c.o.signal } : {}) });
      bar.done();
      return d;
    },
  },
  {
    name: 'benchmark',
    label: (c) => `benchmark set: ${c.set.perClass} lenses per class of ${c.set.preset} (${c.set.dir})`,
    run: async (c) => {
      const bar = c.h.progress(c.set.perClass * 3, 'lenses');
      await ensureBenchmark(c.set, { onProgress: bar.update, ...(c.o.signal !== undefined ? { signal: c.o.signal } : {}) });
      bar.done();
      return { dir: c.set.dir };
    },
  },
  {
    name: 'train',
    label: (c) => `train ${c.o.kind}${c.o.epochs !== undefined ? ` for ${c.o.epochs} epochs` : ''} (seed ${c.o.seed}) into ${c.checkpoint}`,
    run: async (c) => {
      const d = c.results.data as RetrainData;
      let bar: ReturnType<RetrainHooks['progress']> | undefined;
      const r = await train({
        dataPath: d.train,
        model: c.o.kind,
        seed: c.o.seed,
        checkpointDir: c.checkpoint,
        // A run stopped mid-training continues from its last finished epoch.
        resume: 'auto',
        ...(c.o.data !== undefined ? { dataInput: { pixelScale: d.pixelScale, ...(c.o.psfFwhm !== undefined ? { psfFwhm: c.o.psfFwhm } : {}) } } : {}),
        ...(c.o.epochs !== undefined ? { epochs: c.o.epochs } : {}),
        ...(c.o.backend !== undefined ? { backend: c.o.backend } : {}),
        ...(c.o.signal !== undefined ? { signal: c.o.signal } : {}),
        log: () => undefined,
        onProgress: (e) => {
          bar ??= c.h.progress(e.epochs * e.batches, 'batches');
          bar.update((e.epoch - 1) * e.batches + e.batch);
        },
      });
      bar?.done();
      return { bestEpoch: r.bestEpoch, bestValLoss: r.bestValLoss, stopped: r.stopped, backend: r.backend };
    },
  },
  {
    name: 'calibrate',
    label: (c) => `export the ONNX file and calibrate score ${c.o.score} on the held-out smooth lenses`,
    run: async (c) => {
      const d = c.results.data as RetrainData;
      const r = await calibrate({ checkpointDir: c.checkpoint, dataPath: d.calib, fprs: [0.01, 0.05], defaultScore: c.o.score, pixelScale: d.pixelScale, log: () => undefined, ...(c.o.backend !== undefined ? { backend: c.o.backend } : {}), ...(c.o.signal !== undefined ? { signal: c.o.signal } : {}) });
      return { file: r.outPath, onnxSha256: r.file.model.onnxSha256 };
    },
  },
  {
    name: 'evaluate',
    label: (c) => `score the candidate on the benchmark set${c.o.data !== undefined ? ' and the held-out cutouts' : ''}`,
    run: async (c) => {
      const b = await benchmarkModel(c.set, c.checkpoint, c.o.score, join(c.o.workdir, 'report'));
      const d = c.results.data as RetrainData;
      if (d.heldOut === undefined) return b;
      const r = await evaluate({ dataPath: d.heldOut, checkpointDir: c.checkpoint, scores: [c.o.score], pixelScale: d.pixelScale, log: () => undefined });
      const rate = r.flagged?.[c.o.score]?.find((x) => x.nominal === 0.01);
      if (rate === undefined) throw new DarklensError('internal', 'the candidate has no fpr-0.01 threshold for its score');
      return { ...b, heldOut: { nominal: rate.nominal, observed: rate.observed, images: r.count } };
    },
  },
  {
    name: 'baseline',
    label: (c) => `the current default of ${c.o.model} on the same benchmark set`,
    run: async (c) => {
      const reg = await readRegistry(c.o.registry);
      const m = reg.models[c.o.model];
      if (m === undefined) return null;
      const entry = m.versions[m.default]!;
      const dir = join(c.o.registry, c.o.model, m.default);
      const cal = JSON.parse(readFileSync(join(dir, 'calibration.json'), 'utf8')) as { defaultScore: string };
      const sha = entry.files[entry.onnx.file]!.sha256;
      const rec = await recordedBaseline(c.set, { model: c.o.model, version: m.default, onnxPath: join(dir, entry.onnx.file), onnxSha256: sha, score: cal.defaultScore }, join(c.o.workdir, 'baseline-report'));
      return { model: c.o.model, version: m.default, onnxSha256: sha, metrics: rec.metrics } satisfies GateSide;
    },
  },
  {
    name: 'register',
    always: true,
    label: (c) => `register the candidate as the next version of ${c.o.model}${c.o.dryRun ? ' (dry run: in a staged copy of the registry)' : ''}`,
    run: async (c) => {
      const trainedAt = (JSON.parse(readFileSync(join(c.checkpoint, 'training.json'), 'utf8')) as { savedAt?: string }).savedAt;
      // Registered already (a run stopped after this step)? Then that version, not another.
      const reg = existsSync(join(c.registry, 'registry.json')) ? await readRegistry(c.registry) : undefined;
      const same = Object.entries(reg?.models[c.o.model]?.versions ?? {}).find(([, v]) => v.training?.trainedAt === trainedAt && trainedAt !== undefined);
      if (same !== undefined) return { version: same[0] };
      const r = await publishCheckpoint({ root: c.registry, checkpointDir: c.checkpoint, reportDir: join(c.o.workdir, 'report'), name: c.o.model, log: () => undefined, ...(c.o.backend !== undefined ? { backend: c.o.backend } : {}) });
      return { version: r.version };
    },
  },
  {
    name: 'gate',
    always: true,
    label: (c) => `gate: pooled AUC and TPR at 1% FPR against the current default (tolerances ${c.o.tolerances.auc}, ${c.o.tolerances.tpr})`,
    run: async (c) => {
      const ev = c.results.evaluate as { metrics: GateSide['metrics']; onnxSha256: string; heldOut?: GateInput['heldOut'] };
      const input: GateInput = {
        candidate: { model: c.o.model, version: (c.results.register as { version: string }).version, onnxSha256: ev.onnxSha256, metrics: ev.metrics },
        ...(c.results.baseline !== null ? { baseline: c.results.baseline as GateSide } : {}),
        benchmark: { preset: c.set.preset, perClass: c.set.perClass, seed: c.set.seed },
        tolerances: c.o.tolerances,
        ...(ev.heldOut !== undefined ? { heldOut: ev.heldOut } : {}),
      };
      const verdict = judge(input);
      const md = gateMarkdown(input, verdict, !verdict.passed && c.o.force);
      await writeFile(join(c.o.workdir, 'gate.json'), JSON.stringify({ ...input, verdict, forced: !verdict.passed && c.o.force }, null, 2) + '\n');
      await writeFile(join(c.o.workdir, 'gate.md'), md);
      c.h.report(`\n${md}`);
      return { verdict, markdown: md };
    },
  },
  {
    name: 'promote',
    always: true,
    label: (c) => `make ${c.o.model} ${(c.results.register as { version: string }).version} the default if it passed the gate${c.o.force ? ' (--force: in any case)' : ''}`,
    run: async (c) => {
      const { verdict } = c.results.gate as { verdict: GateVerdict };
      if (!verdict.passed && !c.o.force) return { promoted: false };
      const version = (c.results.register as { version: string }).version;
      const reg = await readRegistry(c.registry);
      if (reg.models[c.o.model]!.default !== version) await promote(c.registry, c.o.model, version);
      return { promoted: true };
    },
  },
  {
    name: 'deploy',
    always: true,
    label: (c) => `deploy ${c.registry === c.o.registry ? c.o.registry : 'the staged registry'}${c.o.dryRun ? ' (dry run: print the operations only)' : ''}`,
    run: async (c) => {
      if (!(c.results.promote as { promoted: boolean }).promoted) return { operations: [] };
      return { operations: await c.h.deploy(c.registry, { dryRun: c.o.dryRun, model: c.o.model, out: c.h.report }) };
    },
  },
];

/** The options that decide what the recorded steps produced: a rerun must give the same ones. */
function recordedOptions(o: RetrainOptions): Record<string, unknown> {
  return { model: o.model, kind: o.kind, preset: o.preset, data: o.data ?? null, registry: o.registry, seed: o.seed, epochs: o.epochs ?? null, trainImages: o.trainImages, calibImages: o.calibImages, benchmark: [o.benchmarkRoot, o.benchmarkPerClass], score: o.score, pixelScale: o.pixelScale, psfFwhm: o.psfFwhm ?? null };
}

async function openState(o: RetrainOptions): Promise<RetrainState> {
  const now = recordedOptions(o);
  // Start over: nothing of the earlier run (its checkpoint above all) may be picked up again.
  if (o.restart && existsSync(o.workdir)) {
    if (!existsSync(join(o.workdir, STATE_FILE)) && (await readdir(o.workdir)).length > 0) {
      throw new DarklensError('invalid_argument', `--restart removes the workdir, but ${o.workdir} holds no ${STATE_FILE}: not a retrain's folder, left as it is`);
    }
    await rm(o.workdir, { recursive: true, force: true });
  }
  const was = o.restart ? undefined : await readRetrainState(o.workdir);
  if (was !== undefined) {
    const diff = optionsDifference(was.options, now);
    if (diff !== undefined) throw new DarklensError('invalid_argument', `${o.workdir} holds a retrain with other options (${diff}); rerun that command to finish it, choose another --workdir, or add --restart`);
    return was;
  }
  const s: RetrainState = { version: 1, options: now, steps: {} };
  await writeRetrainState(o.workdir, s);
  return s;
}

export async function retrain(o: RetrainOptions, h: RetrainHooks, staged: (from: string) => Promise<string>): Promise<RetrainOutcome> {
  const spec = resolveSpec(o.preset);
  if (o.size !== undefined && o.data === undefined && spec.grid !== o.size) {
    throw new DarklensError('invalid_argument', `${o.model} takes ${o.size}x${o.size} cutouts but preset ${o.preset} simulates ${spec.grid}x${spec.grid}; retrain under a new --name`);
  }
  const state = await openState(o);
  const ctx: Ctx = {
    o,
    h,
    set: benchmarkSet(o.benchmarkRoot, o.preset, o.benchmarkPerClass),
    checkpoint: join(o.workdir, 'checkpoint'),
    registry: o.dryRun ? await staged(o.registry) : o.registry,
    results: {},
  };
  await runSteps(STEPS, ctx, state, o.workdir, h);
  const gate = ctx.results.gate as { verdict: GateVerdict; markdown: string };
  return {
    version: (ctx.results.register as { version: string }).version,
    verdict: gate.verdict,
    gateReport: gate.markdown,
    promoted: (ctx.results.promote as { promoted: boolean }).promoted,
    deployed: (ctx.results.deploy as { operations: string[] }).operations,
  };
}

