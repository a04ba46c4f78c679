/**
 * Choosing a registry ensemble by measurement: every registered model's default version scores
 * labelled validation sets (never the test sets: their numbers would flatter it) through the one
 * scoring path, each calibrated score becomes a p-value by its calibration, exactly as the service
 * computes them, and a greedy forward selection builds a weighted Cauchy combination:
 *
 *   start from the single (model, score) with the best pooled ROC AUC (TPR at 1% FPR breaks ties);
 *   repeatedly add the member and weight (a fraction of the total) that raises the pooled AUC most,
 *   while it rises by at least MIN_GAIN and there are fewer than maxMembers members.
 *
 * By construction the ensemble is at least as good as its best member on the data it was chosen on.
 * The result is written to registry.json as `ensembles[name]`, with how it was chosen and its figures.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { combinePValues, DarklensError, ModelCalibration, resolveVersion, type EnsembleMember, type RegistryEnsemble } from '@darklens/core';
import { rocAuc, tprAtFpr } from '../metrics/roc.js';
import { openOnnx } from '../scoring/onnx-file.js';
import { scoreData } from '../scoring/score-data.js';
import { readRegistry, writeRegistry } from './store.js';

/** Smallest pooled-AUC gain worth another member. */
const MIN_GAIN = 1e-4;
/** Weights a new member may get, as fractions of the total. */
const FRACTIONS = [0.1, 0.2, 0.3, 0.4, 0.5];

export interface ChooseEnsembleOptions {
  /** Registry folder. */
  root: string;
  /** Labelled validation sets: smooth lenses and at least one substructure set. */
  sets: { no_sub: string; spherical?: string; vortex?: string };
  /** Name of the ensemble in the registry. */
  name: string;
  /** Make it the registry's default ensemble. */
  makeDefault?: boolean;
  /** Candidate models and scores (default: every model, every calibrated score). */
  models?: string[];
  scores?: string[];
  /** Most members (default 4). */
  maxMembers?: number;
  /** Labelled test sets to report the chosen ensemble and every candidate on (they choose nothing). */
  testSets?: { no_sub: string; spherical?: string; vortex?: string };
  onProgress?: (stage: string) => void;
}

type Sets = ChooseEnsembleOptions['sets'];

export interface EnsembleFigures {
  aucPooled: number;
  tprAt1: number;
}

interface Candidate {
  model: string;
  score: string;
  /** p-values of the validation images: no_sub first, then the substructure sets. */
  p: Float64Array;
}

function figures(p: ArrayLike<number>, labels: Uint8Array): EnsembleFigures {
  // Smaller p = more anomalous: rank by -log p (monotone, so the ROC is that of 1 - p).
  const s = Float64Array.from(p, (v) => -Math.log(Math.max(v, 1e-300)));
  return { aucPooled: rocAuc(s, labels), tprAt1: tprAtFpr(s, labels, 0.01).tpr };
}

function combined(members: { c: Candidate; weight: number }[], n: number): Float64Array {
  const out = new Float64Array(n);
  const w = members.map((m) => m.weight);
  for (let i = 0; i < n; i++) out[i] = combinePValues(members.map((m) => m.c.p[i]!), 'cauchy', w);
  return out;
}

const better = (a: EnsembleFigures, b: EnsembleFigures): boolean => a.aucPooled > b.aucPooled || (a.aucPooled === b.aucPooled && a.tprAt1 > b.tprAt1);

/** Every (model, score) pair's p-values on labelled sets (no_sub first), scored as the service scores. */
async function candidatesOn(o: ChooseEnsembleOptions, models: string[], sets: Sets, label: string): Promise<{ candidates: Candidate[]; labels: Uint8Array }> {
  const reg = await readRegistry(o.root);
  const kinds = (['no_sub', 'spherical', 'vortex'] as const).filter((k) => sets[k] !== undefined);
  if (sets.no_sub === undefined || kinds.length < 2) throw new DarklensError('invalid_argument', `${label}: labelled sets needed: no_sub and spherical and/or vortex`);
  const candidates: Candidate[] = [];
  let labels: Uint8Array | undefined;
  for (const name of models) {
    const { version, entry } = resolveVersion(reg, name);
    const dir = join(o.root, name, version);
    const calibration = ModelCalibration.fromJSON(await readFile(join(dir, 'calibration.json'), 'utf8'));
    const scores = calibration.names.filter((s) => o.scores === undefined || o.scores.includes(s));
    const onnx = await openOnnx(join(dir, entry.onnx.file));
    try {
      const parts: Record<string, number[]> = Object.fromEntries(scores.map((s) => [s, []]));
      const l: number[] = [];
      for (const k of kinds) {
        o.onProgress?.(`${label}: score ${k} with ${name} ${version}`);
        const r = await scoreData(onnx, { dataPath: sets[k]!, grid: entry.input, scores });
        for (const s of scores) {
          const c = calibration.score(s);
          for (const v of r.scores[s]!) parts[s]!.push(c.pValue(v));
        }
        for (let i = 0; i < r.count; i++) l.push(k === 'no_sub' ? 0 : 1);
      }
      labels ??= Uint8Array.from(l);
      if (labels.length !== l.length) throw new DarklensError('internal', `${label}: sets scored to different sizes`);
      for (const s of scores) candidates.push({ model: name, score: s, p: Float64Array.from(parts[s]!) });
    } finally {
      await onnx.close();
    }
  }
  return { candidates, labels: labels ?? new Uint8Array(0) };
}

export async function chooseEnsemble(o: ChooseEnsembleOptions): Promise<{ ensemble: RegistryEnsemble; best: { model: string; score: string } & EnsembleFigures }> {
  const reg = await readRegistry(o.root);
  const models = o.models ?? Object.keys(reg.models);
  if (models.length === 0) throw new DarklensError('not_found', `${o.root}: no models registered`);
  const sets = (['no_sub', 'spherical', 'vortex'] as const).filter((k) => o.sets[k] !== undefined);
  const { candidates, labels } = await candidatesOn(o, models, o.sets, 'validation');
  if (candidates.length === 0) throw new DarklensError('not_found', `no calibrated score among ${o.scores?.join(', ') ?? 'any'}`);
  const n = labels.length;

  o.onProgress?.('choose members and weights');
  const singles = candidates.map((c) => ({ c, f: figures(c.p, labels) }));
  const first = singles.reduce((a, b) => (better(b.f, a.f) ? b : a));
  let members = [{ c: first.c, weight: 1 }];
  let current = first.f;
  const max = o.maxMembers ?? 4;
  while (members.length < max) {
    let step: { members: typeof members; f: EnsembleFigures } | undefined;
    for (const c of candidates) {
      if (members.some((m) => m.c === c)) continue;
      for (const fraction of FRACTIONS) {
        const next = [...members.map((m) => ({ c: m.c, weight: m.weight * (1 - fraction) })), { c, weight: fraction }];
        const f = figures(combined(next, n), labels);
        if (step === undefined || better(f, step.f)) step = { members: next, f };
      }
    }
    if (step === undefined || step.f.aucPooled < current.aucPooled + MIN_GAIN) break;
    members = step.members;
    current = step.f;
  }

  const total = members.reduce((s, m) => s + m.weight, 0);
  let test: Record<string, unknown> | undefined;
  if (o.testSets !== undefined) {
    const t = await candidatesOn(o, models, o.testSets, 'test');
    const find = (c: Candidate): Candidate => t.candidates.find((x) => x.model === c.model && x.score === c.score)!;
    const singles = t.candidates.map((c) => ({ model: c.model, score: c.score, ...figures(c.p, t.labels) }));
    test = {
      sets: o.testSets,
      images: t.labels.length,
      ensemble: figures(combined(members.map((m) => ({ c: find(m.c), weight: m.weight })), t.labels.length), t.labels),
      bestSingle: singles.reduce((a, b) => (better(b, a) ? b : a)),
      candidates: singles,
    };
  }
  const chosen: EnsembleMember[] = members.map((m) => ({ model: m.c.model, score: m.c.score, weight: Number((m.weight / total).toFixed(4)) }));
  const ensemble: RegistryEnsemble = {
    members: chosen,
    chosenBy:
      `greedy weighted-Cauchy selection over ${candidates.length} (model, score) pairs on ${sets.map((k) => o.sets[k]).join(', ')}: ` +
      `pooled ROC AUC ${current.aucPooled.toFixed(4)}, TPR at 1% FPR ${current.tprAt1.toFixed(3)}; ` +
      `best single member ${first.c.model}/${first.c.score}: ${first.f.aucPooled.toFixed(4)}, ${first.f.tprAt1.toFixed(3)}`,
    metrics: { validation: { ...current, images: n }, bestMember: { model: first.c.model, score: first.c.score, ...first.f }, ...(test !== undefined ? { test } : {}) },
    createdAt: new Date().toISOString(),
  };
  const now = await readRegistry(o.root);
  now.ensembles = { ...now.ensembles, [o.name]: ensemble };
  if (o.makeDefault === true) now.defaultEnsemble = o.name;
  await writeRegistry(o.root, now);
  return { ensemble, best: { model: first.c.model, score: first.c.score, ...first.f } };
}
