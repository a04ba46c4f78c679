// Training throughput: images per second of one optimizer step loop, per model and backend.
//
// For each model (dcae, vae, aae, rbm) at 64x64, batch 32, Adam with weight decay, each model's own training step: build the network, warm up, then time
// STEPS training steps on fixed synthetic [0,1] images (the data does not change the arithmetic).
// Backends: 'wasm' as darklens sets it up (its own Conv2DBackpropFilter plus the faster
// Conv2DBackpropInput / transposed BatchMatMul and stride-1 gradients as XNNPACK convolutions),
// 'wasm-no-stride1' (the same without the stride-1 convolutions) and 'wasm-stock' (only the missing filter kernel
// added: the naive wasm figure). The cpu backend (~0.3 img/s) is left out. One thread.
// The target: >= 450 img/s for the DCAE at 64x64, batch 32, on 2 cores.
import { performance } from 'node:perf_hooks';

export const name = 'train';
export const description = 'training images per second per model and backend (64x64, batch 32, Adam)';

const SIZE = 64;
const BATCH = 32;
const TARGET = { model: 'dcae', imagesPerSecond: 450 };

function synthetic(tf, n) {
  const data = new Float32Array(n * SIZE * SIZE);
  for (let i = 0; i < data.length; i++) data[i] = (Math.sin(i * 0.013) + 1) / 2;
  return tf.tensor4d(data, [n, SIZE, SIZE, 1]);
}

async function timeSteps(training, tf, modelName, warmup, steps) {
  const model = training.buildModel(modelName, tf, { size: SIZE, seed: 1 });
  const trainer = training.createTrainer(modelName, tf, model, { optimizer: 'adam', learningRate: 2e-3, weightDecay: 1e-5, seed: 1 });
  const x = synthetic(tf, BATCH);
  const step = (k) => trainer.step(x, { seed: 1, epoch: 1, batch: k });
  for (let k = 0; k < warmup; k++) step(k);
  const t0 = performance.now();
  for (let k = 0; k < steps; k++) step(warmup + k);
  const seconds = (performance.now() - t0) / 1000;
  x.dispose();
  trainer.dispose();
  model.dispose();
  return { seconds, imagesPerSecond: (steps * BATCH) / seconds };
}

export async function run({ quick, training, log }) {
  const results = [];
  const { tf } = await training.selectBackend({ force: 'wasm', log: () => undefined });
  const cases = [
    { backend: 'wasm', warmup: 2, steps: quick ? 3 : 15 },
    { backend: 'wasm-no-stride1', warmup: 2, steps: quick ? 3 : 15 },
    { backend: 'wasm-stock', warmup: 1, steps: quick ? 2 : 5 },
  ];
  for (const modelName of training.MODEL_NAMES) {
    for (const c of cases) {
      // wasm-no-stride1: darklens's kernels without the stride-1 gradients as XNNPACK convolutions.
      const stride1 = c.backend !== 'wasm-no-stride1';
      training.registerWasmConv2DBackpropFilter(tf, { stride1 });
      if (c.backend === 'wasm-stock') training.unregisterWasmSpeedups(tf);
      else training.registerWasmSpeedups(tf, { stride1 });
      const r = await timeSteps(training, tf, modelName, c.warmup, c.steps);
      results.push({ model: modelName, backend: c.backend, batch: BATCH, size: SIZE, steps: c.steps, seconds: Number(r.seconds.toFixed(3)), imagesPerSecond: Number(r.imagesPerSecond.toFixed(1)) });
      log(`  ${modelName} ${c.backend}: ${results.at(-1).imagesPerSecond} img/s`);
    }
  }
  training.registerWasmConv2DBackpropFilter(tf);
  training.registerWasmSpeedups(tf);
  const dcae = results.find((r) => r.model === 'dcae' && r.backend === 'wasm');
  return {
    config: { size: SIZE, batch: BATCH, optimizer: 'adam', threads: 1, data: 'synthetic, fixed' },
    results,
    target: { ...TARGET, measured: dcae.imagesPerSecond, met: dcae.imagesPerSecond >= TARGET.imagesPerSecond },
    table: { columns: ['model', 'backend', 'steps', 'seconds', 'img/s'], rows: results.map((r) => [r.model, r.backend, r.steps, r.seconds, r.imagesPerSecond]) },
    summary: [`target ${TARGET.imagesPerSecond} img/s (dcae, 64x64, batch 32, 2 cores): ${dcae.imagesPerSecond} on one core -> ${dcae.imagesPerSecond >= TARGET.imagesPerSecond ? 'MET' : 'NOT met'}`],
  };
}
