// int8 against fp32 for every shipped model: each registered model of each set (default versions) is
// quantized (darklens models quantize: calibrated on the first --images lenses of its preset's
// calibration set, never the test sets) and both files are scored on the preset's test sets through
// darklens evaluate's path (evaluate(): prepareCutout + runScores on onnxruntime-node, as served).
// Pooled ROC AUC (spherical + vortex against no_sub) of each model's default score decides: int8 is
// offered only where |AUC int8 - AUC fp32| <= --max-delta. A paired bootstrap over the test images
// gives that difference's standard deviation. --min-snr passes on to the quantizer (default 0: every
// layer that can be).
//
//   npx tsc -b && node scripts/quantize-measure.mjs --data-root /work/data --out out/quantize
//
// Writes <out>/<model>.int8.onnx and <out>/auc.json (every score's AUCs, the plan, activation SNRs,
// score agreement on the calibration lenses). --data-root /work/data holds the sets of the shipped
// numbers on the project's machine.
// Data layout (README, "Build the standard data set"): <data-root>/<preset>/{no_sub,spherical,vortex}_test.npy,
// <data-root>/<preset>/no_sub_calib.npy, and with --split val the validation sets build-models chose
// default scores on, <data-root>/<preset>/val/{no_sub,spherical,vortex}.npy (for choosing --min-snr:
// never on the test sets).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: opts } = parseArgs({
  options: {
    'data-root': { type: 'string', default: join(ROOT, 'data') },
    registry: { type: 'string', default: join(ROOT, 'models') },
    out: { type: 'string', default: join(ROOT, 'out', 'quantize') },
    images: { type: 'string', default: '512' },
    'max-delta': { type: 'string', default: '0.002' },
    models: { type: 'string' },
    'min-snr': { type: 'string', default: '0' },
    split: { type: 'string', default: 'test' },
  },
});
if (!['test', 'val'].includes(opts.split)) throw new Error(`--split ${opts.split}: accepted test, val`);
const training = await import(join(ROOT, 'training', 'dist', 'index.js'));
const { SeededRng } = await import(join(ROOT, 'core', 'dist', 'index.js'));
const BOOTSTRAP = 1000;
const registry = JSON.parse(readFileSync(join(opts.registry, 'registry.json'), 'utf8'));
const maxDelta = Number(opts['max-delta']);
const only = opts.models?.split(',');
mkdirSync(opts.out, { recursive: true });
const log = (m) => process.stderr.write(`${m}\n`);

/** Every score of the three test (or validation) sets, from evaluate() (prepareCutout + runScores, as served). */
async function testScores(onnxPath, dir) {
  const sets = [];
  for (const klass of ['no_sub', 'spherical', 'vortex']) {
    const file = opts.split === 'val' ? join(dir, 'val', `${klass}.npy`) : join(dir, `${klass}_test.npy`);
    sets.push((await training.evaluate({ dataPath: file, checkpointDir: onnxPath, batchSize: 32 })).scores);
  }
  return sets;
}

/** Pooled ROC AUC (spherical + vortex against no_sub) of one score, on the images `idx` of each set (default: all). */
function pooledAuc(sets, score, idx) {
  const pick = (a, k) => (idx === undefined ? a : Float64Array.from(idx[k], (i) => a[i]));
  const { scores, labels } = training.labelledScores(...sets.map((s, k) => pick(s[score], k)));
  return training.rocAuc(scores, labels);
}

/** Paired bootstrap of AUC int8 - AUC fp32 (each class resampled with replacement): its standard deviation and 95% interval. */
function bootstrapDelta(fp32, int8, score) {
  const rng = new SeededRng(20261206);
  const deltas = [];
  for (let r = 0; r < BOOTSTRAP; r++) {
    const idx = fp32.map((s) => Array.from(s[score], () => rng.int(s[score].length)));
    deltas.push(pooledAuc(int8, score, idx) - pooledAuc(fp32, score, idx));
  }
  deltas.sort((a, b) => a - b);
  const mean = deltas.reduce((a, b) => a + b, 0) / deltas.length;
  const sd = Math.sqrt(deltas.reduce((a, b) => a + (b - mean) ** 2, 0) / (deltas.length - 1));
  return { sd, ci95: [deltas[Math.floor(0.025 * BOOTSTRAP)], deltas[Math.ceil(0.975 * BOOTSTRAP) - 1]] };
}

const rows = [];
for (const [setName, set] of Object.entries(registry.sets)) {
  const preset = set.domain.preset;
  const dir = join(opts['data-root'], preset);
  for (const name of Object.values(set.models)) {
    if (only !== undefined && !only.includes(name)) continue;
    const m = registry.models[name];
    const entry = m.versions[m.default];
    const fp32Path = join(opts.registry, name, m.default, entry.onnx.file);
    const defaultScore = JSON.parse(readFileSync(join(opts.registry, name, m.default, 'calibration.json'), 'utf8')).defaultScore;
    log(`${setName}/${name} ${m.default}: quantizing`);
    const q = await training.quantizeFile({
      modelPath: fp32Path,
      dataPath: join(dir, 'no_sub_calib.npy'),
      grid: { width: entry.input.width, height: entry.input.height, pixelScale: entry.input.pixelScale },
      images: Number(opts.images),
      outPath: join(opts.out, `${name}.int8.onnx`),
      minSnrDb: Number(opts['min-snr']),
    });
    log(`  scoring fp32 and int8 on the ${opts.split} sets of ${dir}`);
    const fp32Sets = await testScores(fp32Path, dir);
    const int8Sets = await testScores(q.outPath, dir);
    const names = Object.keys(fp32Sets[0]);
    const fp32 = Object.fromEntries(names.map((s) => [s, pooledAuc(fp32Sets, s)]));
    const int8 = Object.fromEntries(names.map((s) => [s, pooledAuc(int8Sets, s)]));
    const delta = int8[defaultScore] - fp32[defaultScore];
    const boot = bootstrapDelta(fp32Sets, int8Sets, defaultScore);
    const row = {
      set: setName, model: name, version: m.default, score: defaultScore,
      aucFp32: fp32[defaultScore], aucInt8: int8[defaultScore], delta, passes: Math.abs(delta) <= maxDelta, deltaBootstrap: boot,
      registeredAuc: entry.metrics.aucPooled,
      everyScore: Object.fromEntries(Object.keys(fp32).map((s) => [s, { fp32: fp32[s], int8: int8[s], delta: int8[s] - fp32[s] }])),
      bytes: { fp32: q.fp32Bytes, int8: q.bytes },
      int8Layers: q.plan.nodes.map((n) => n.name), float32Layers: q.plan.skipped, snrDb: q.snrDb, calibrationAgreement: q.agreement,
    };
    rows.push(row);
    log(`  ${defaultScore}: fp32 ${row.aucFp32.toFixed(4)}${opts.split === 'test' ? ` (registered ${row.registeredAuc.toFixed(4)})` : ''}, int8 ${row.aucInt8.toFixed(4)}, delta ${delta >= 0 ? '+' : ''}${delta.toFixed(4)} (bootstrap sd ${boot.sd.toFixed(4)}) ${row.passes ? 'PASS' : 'FAIL'}`);
  }
}
const result = { date: new Date().toISOString(), split: opts.split, images: Number(opts.images), minSnrDb: Number(opts['min-snr']), maxDelta, bootstrap: BOOTSTRAP, dataRoot: opts['data-root'], rows };
writeFileSync(join(opts.out, 'auc.json'), JSON.stringify(result, null, 2) + '\n');
log(`wrote ${join(opts.out, 'auc.json')}`);
