// Inference throughput of the exported ONNX models: images per second per model in
// onnxruntime-node (1 intra-op thread, then 2), at batch 1 and batch 32, 64x64 inputs. The networks are
// freshly built (the arithmetic does not depend on the weights) and exported with darklens's exporter,
// so this measures exactly the graphs the registry ships. The service's throughput target is stated
// against this raw figure.
import { performance } from 'node:perf_hooks';

export const name = 'onnx';
export const description = 'exported ONNX models in onnxruntime-node: images per second per model, batch 1 and 32';

const SIZE = 64;

export async function run({ quick, training, log }) {
  const ort = await import('onnxruntime-node');
  const { tf } = await training.selectBackend({ force: 'wasm', log: () => undefined });
  const results = [];
  const data = new Float32Array(32 * SIZE * SIZE);
  for (let i = 0; i < data.length; i++) data[i] = (Math.sin(i * 0.013) + 1) / 2;
  for (const modelName of training.MODEL_NAMES) {
    const model = training.buildModel(modelName, tf, { size: SIZE, seed: 1 });
    const bytes = training.exportOnnx(model);
    model.dispose();
    for (const threads of [1, 2]) {
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
      for (const batch of [1, 32]) {
        const input = new ort.Tensor('float32', data.slice(0, batch * SIZE * SIZE), [batch, 1, SIZE, SIZE]);
        for (let k = 0; k < 5; k++) await session.run({ input });
        const runs = quick ? 20 : batch === 1 ? 400 : 40;
        const t0 = performance.now();
        for (let k = 0; k < runs; k++) await session.run({ input });
        const seconds = (performance.now() - t0) / 1000;
        const r = { model: modelName, threads, batch, runs, seconds: Number(seconds.toFixed(3)), imagesPerSecond: Number(((runs * batch) / seconds).toFixed(0)), msPerRun: Number(((seconds * 1000) / runs).toFixed(3)), bytes: bytes.length };
        results.push(r);
        log(`  ${modelName} threads ${threads} batch ${batch}: ${r.imagesPerSecond} img/s (${r.msPerRun} ms per run)`);
      }
      await session.release();
    }
  }
  return {
    config: { size: SIZE, runtime: `onnxruntime-node ${ort.env.versions?.node ?? ''}`.trim(), data: 'synthetic, fixed' },
    results,
    table: { columns: ['model', 'threads', 'batch', 'img/s', 'ms/run', 'MB'], rows: results.map((r) => [r.model, r.threads, r.batch, r.imagesPerSecond, r.msPerRun, (r.bytes / 1e6).toFixed(2)]) },
    summary: [],
  };
}
