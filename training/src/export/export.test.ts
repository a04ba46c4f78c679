/**
 * ONNX export parity on real simulated lenses: for every model (briefly trained, so its outputs are
 * not a flat 0.5), tfjs, onnxruntime-node and onnxruntime-web (wasm, in Node) agree on the score
 * within 1e-5 relative and on the reconstruction within 1e-5 absolute; every file passes onnx's
 * full checker (Debian python3-onnx).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, scoreOutputName } from '@darklens/core';
import { readFileSync } from 'node:fs';
import { selectBackend, type Tf } from '../backend/select.js';
import { MODEL_NAMES } from '../models/registry.js';
import { resolveSpec } from '../simulate/presets.js';
import { simulateToFiles } from '../simulate/output.js';
import { loadModelFrom } from '../train/checkpoint.js';
import { train } from '../train/train.js';
import { exportOnnx, ONNX_IR_VERSION, ONNX_OPSET } from './export.js';
import { HEAD_SCORES } from './score-graph.js';

type LayersModel = Awaited<ReturnType<typeof loadModelFrom>>;
const PY = '/usr/bin/python3';
let dir: string;
let tf: Tf;
let images: Float32Array;
const N = 12;
const models = new Map<string, LayersModel>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'darklens-onnx-'));
  const spec = resolveSpec('model-a');
  await simulateToFiles({ spec, klass: 'no_sub', count: 24, seed: 5, outDir: dir, name: 'train', threads: 0 });
  const parts: Float32Array[] = [];
  for (const klass of ['no_sub', 'spherical', 'vortex'] as const) {
    await simulateToFiles({ spec, klass, count: 4, seed: 9, outDir: dir, name: `test_${klass}`, threads: 0 });
    parts.push(readNpy(new Uint8Array(readFileSync(join(dir, `test_${klass}.npy`)))).data);
  }
  images = new Float32Array(N * 4096);
  parts.forEach((p, k) => images.set(p, k * 4 * 4096));
  tf = (await selectBackend({ force: 'wasm', log: () => undefined })).tf;
  for (const name of MODEL_NAMES) {
    await train({ dataPath: join(dir, 'train.npy'), model: name, epochs: 4, batchSize: 4, schedule: 'constant', seed: 2, checkpointDir: join(dir, name), backend: 'wasm', log: () => undefined });
    models.set(name, await loadModelFrom(tf, join(dir, name)));
  }
}, 180_000);
afterAll(() => {
  for (const m of models.values()) m.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function tfjsOutputs(model: LayersModel, x: Float32Array, n: number): { recon: Float32Array; score: Float64Array } {
  const recon = tf.tidy(() => (model.predict(tf.tensor4d(x, [n, 64, 64, 1])) as ReturnType<Tf['zeros']>).dataSync() as Float32Array);
  // The score's definition evaluated exactly (float64) on tfjs's reconstruction.
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = i * 4096; k < (i + 1) * 4096; k++) s += (x[k]! - recon[k]!) ** 2;
    score[i] = s / 4096;
  }
  return { recon, score };
}

/** The graph's inputs: the cutouts and a flat noise model (the scoring head is tested in score-graph.test.ts). */
function feeds(ort: typeof ortNode | typeof ortWeb, x: Float32Array, n: number): Record<string, ortNode.Tensor> {
  return {
    input: new ort.Tensor('float32', x, [n, 1, 64, 64]),
    variance: new ort.Tensor('float32', new Float32Array(n * 4096).fill(1e-4), [n, 1, 64, 64]),
    noise: new ort.Tensor('float32', new Float32Array(n * 2), [n, 2]),
  };
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.abs(a[i]!));
  return m;
};

describe.each(MODEL_NAMES)('ONNX export of the %s', (name) => {
  let bytes: Uint8Array;
  beforeAll(() => {
    bytes = exportOnnx(models.get(name)!, { residual: true, psfSigmaPx: 1 });
  });

  it('matches tfjs in onnxruntime-node and onnxruntime-web, at any batch size', async () => {
    const model = models.get(name)!;
    const ref = tfjsOutputs(model, images, N);
    // The trained network's output varies across the image (not a flat sigmoid of 0.5), by far
    // more than the tolerances below: a layout or weight-order mistake could not hide under them.
    expect(Math.max(...ref.recon) - Math.min(...ref.recon)).toBeGreaterThan(0.02);
    ortWeb.env.wasm.numThreads = 1;
    for (const [label, ort] of [
      ['onnxruntime-node', ortNode],
      ['onnxruntime-web', ortWeb],
    ] as const) {
      const session = await ort.InferenceSession.create(bytes, label === 'onnxruntime-web' ? { executionProviders: ['wasm'] } : {});
      for (const n of [N, 1]) {
        const x = images.slice(0, n * 4096);
        const out = await session.run(feeds(ort, x, n));
        const recon = out.reconstruction!.data as Float32Array;
        const score = out.score!.data as Float32Array;
        expect(out.reconstruction!.dims).toEqual([n, 1, 64, 64]);
        expect(out.score!.dims).toEqual([n]);
        expect(maxAbs(recon, ref.recon.subarray(0, n * 4096)), `${label} reconstruction, batch ${n}`).toBeLessThan(1e-5);
        expect(maxRel(score, ref.score.subarray(0, n)), `${label} score, batch ${n}`).toBeLessThan(1e-5);
        const residual = out.residual!.data as Float32Array;
        for (const k of [0, 777, 4095]) expect(residual[k]).toBeCloseTo(x[k]! - recon[k]!, 6);
      }
      await session.release();
    }
  });

  it('stores float16 weights in about half the bytes, scores close to float32', async () => {
    const half = exportOnnx(models.get(name)!, { fp16: true, psfSigmaPx: 1 });
    expect(half.length).toBeLessThan(bytes.length * 0.55);
    const session = await ortNode.InferenceSession.create(half);
    const out = await session.run(feeds(ortNode, images, N));
    const ref = tfjsOutputs(models.get(name)!, images, N);
    expect(maxAbs(out.reconstruction!.data as Float32Array, ref.recon)).toBeLessThan(0.02);
    await session.release();
  });

  it(`passes onnx.checker full_check (opset ${ONNX_OPSET}, IR ${ONNX_IR_VERSION}) with python3-onnx`, () => {
    const file = join(dir, `${name}.onnx`);
    writeFileSync(file, bytes);
    writeFileSync(join(dir, `${name}.fp16.onnx`), exportOnnx(models.get(name)!, { fp16: true, psfSigmaPx: 1 }));
    const script = [
      'import sys, onnx',
      'for p in sys.argv[1:]:',
      '    m = onnx.load(p)',
      '    onnx.checker.check_model(m, full_check=True)',
      '    print(p, m.ir_version, m.opset_import[0].version, [o.name for o in m.graph.output])',
    ].join('\n');
    let out: string;
    try {
      out = execFileSync(PY, ['-c', script, file, join(dir, `${name}.fp16.onnx`)], { encoding: 'utf8' });
    } catch (e) {
      throw new Error(`onnx.checker failed or python3-onnx is missing (apt-get install python3-onnx): ${String((e as { stderr?: string }).stderr ?? e)}`);
    }
    const outputs = ['reconstruction', ...HEAD_SCORES.map(scoreOutputName), 'residual'].map((o) => `'${o}'`).join(', ');
    expect(out).toContain(`${file} ${ONNX_IR_VERSION} ${ONNX_OPSET} [${outputs}]`);
  });
});
