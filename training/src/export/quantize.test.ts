/**
 * The int8 quantizer on the shipped models (registry default versions of the DCAE and the RBM),
 * calibrated on freshly simulated smooth lenses: the file passes onnx's full checker (Debian
 * python3-onnx), onnxruntime fuses every planned layer into an integer kernel (QLinearConv, QGemm),
 * the scoring head is byte-for-byte the exported one, and the scores stay close to fp32. The reader
 * is checked against files python's onnx wrote, the ConvTranspose rewrite against onnxruntime.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../simulate/presets.js';
import { simulateToFiles } from '../simulate/output.js';
import { activationParams, bodyNodes, convTransposeAsConvWeights, planQuantization, quantizationSnrDb, quantizeWeights } from './quantize.js';
import { ProtoWriter } from './protobuf.js';
import { decodeOnnx, DT, encodeOnnx, floatValues, packValues, type QModel } from './quantize-proto.js';
import { int8Path, quantizeFile, type QuantizeFileResult } from './quantize-run.js';

const PY = '/usr/bin/python3';
const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
let dir: string;

/** The registered default version's ONNX file of `name`. */
function shipped(name: string): string {
  const reg = JSON.parse(readFileSync(join(MODELS, 'registry.json'), 'utf8')) as { models: Record<string, { default: string; versions: Record<string, { onnx: { file: string } }> }> };
  const m = reg.models[name]!;
  return join(MODELS, name, m.default, m.versions[m.default]!.onnx.file);
}

function python(script: string, ...args: string[]): string {
  try {
    return execFileSync(PY, ['-c', script, ...args], { encoding: 'utf8' });
  } catch (e) {
    throw new Error(`python3-onnx failed or is missing (apt-get install python3-onnx): ${String((e as { stderr?: string }).stderr ?? e)}`);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'darklens-quantize-'));
  await simulateToFiles({ spec: resolveSpec('model-a'), klass: 'no_sub', count: 64, seed: 11, outDir: dir, name: 'calib', threads: 0 });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ONNX reading', () => {
  it('reads an exported model back to the very same bytes', () => {
    const bytes = new Uint8Array(readFileSync(shipped('dcae')));
    const m = decodeOnnx(bytes);
    expect(m.opset).toBe(17);
    expect(m.outputs[0]!.name).toBe('reconstruction');
    expect(Buffer.compare(Buffer.from(encodeOnnx(m)), Buffer.from(bytes))).toBe(0);
  });

  it('reads typed (non-raw) tensor data and negative ints as python onnx writes them', () => {
    const file = join(dir, 'typed.onnx');
    python(
      [
        'import sys, onnx',
        'from onnx import helper as h, TensorProto as T',
        'w = h.make_tensor("w", T.FLOAT, [2, 3], [1.5, -2, 3, 0.25, 5, -6])',
        'i = h.make_tensor("i", T.INT64, [2], [-3, 7])',
        'n = h.make_node("Reshape", ["x", "i"], ["y"], name="r", allowzero=0)',
        'g = h.make_graph([n], "g", [h.make_tensor_value_info("x", T.FLOAT, ["N", 6])], [h.make_tensor_value_info("y", T.FLOAT, None)], [w, i])',
        'onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), sys.argv[1])',
      ].join('\n'),
      file,
    );
    const m = decodeOnnx(new Uint8Array(readFileSync(file)));
    const w = m.initializers.find((t) => t.name === 'w')!;
    expect(w.dims).toEqual([2, 3]);
    expect(Array.from(floatValues(w))).toEqual([1.5, -2, 3, 0.25, 5, -6]);
    const i = m.initializers.find((t) => t.name === 'i')!;
    expect(i.raw).toEqual(packValues(DT.int64, [-3, 7]));
    expect(m.nodes[0]!.attributes).toEqual({ allowzero: { kind: 'int', value: 0 } });
    expect(m.inputs[0]!.shape).toEqual(['N', 6]);
    expect(m.outputs[0]!.shape).toBeUndefined();
  });
  it('reads packed repeated ints (what proto3 writers emit for dims)', () => {
    const w = new ProtoWriter();
    w.int(1, 8).message(7, (g) => g.message(5, (t) => t.packedInts(1, [2, 3]).int(2, DT.int8).string(8, 'p').bytes(9, new Uint8Array(6)))).message(8, (o) => o.string(1, '').int(2, 17));
    expect(decodeOnnx(w.finish()).initializers[0]).toMatchObject({ name: 'p', dims: [2, 3], dataType: DT.int8 });
  });
});

describe('quantization arithmetic', () => {
  it('keeps zero exactly representable and spans the range in 255 steps', () => {
    expect(activationParams({ min: 0, max: 1 })).toEqual({ scale: Math.fround(1 / 255), zeroPoint: 0 });
    const p = activationParams({ min: -1, max: 3 });
    expect(p.scale).toBeCloseTo(4 / 255, 7);
    expect(p.zeroPoint).toBe(64);
    // A range that excludes zero is widened to it.
    expect(activationParams({ min: 2, max: 4 })).toEqual({ scale: Math.fround(4 / 255), zeroPoint: 0 });
  });

  it('quantizes weights per channel along the axis, each within half a step', () => {
    const w = Float32Array.from([0.5, -1, 0.25, 100, -50, 1]); // 2 channels along axis 0 of [2, 3]
    const { q, scales } = quantizeWeights(w, [2, 3], 0);
    expect(scales[0]).toBeCloseTo(1 / 127, 7);
    expect(scales[1]).toBeCloseTo(100 / 127, 5);
    expect(Array.from(q)).toEqual([64, -127, 32, 127, -64, 1]);
    w.forEach((v, k) => expect(Math.abs(q[k]! * scales[Math.floor(k / 3)]! - v)).toBeLessThanOrEqual(scales[Math.floor(k / 3)]! / 2 + 1e-7));
    // Along axis 1 of [3, 2] the channels are the columns.
    expect(Array.from(quantizeWeights(Float32Array.from([1, 10, -1, 5, 0.5, -10]), [3, 2], 1).scales)).toEqual([Math.fround(1 / 127), Math.fround(10 / 127)]);
  });

  it('measures the SNR of an 8-bit copy: 48 dB for a uniform spread, low for a peaked tensor with a far outlier', () => {
    const uniform = Float32Array.from({ length: 100_000 }, (_, i) => (i * 0.618034) % 1);
    expect(quantizationSnrDb(uniform, { min: 0, max: 1 })).toBeCloseTo(20 * Math.log10(255), 0);
    const peaked = Float32Array.from({ length: 100_000 }, (_, i) => (i === 0 ? 1 : 0.002 * Math.sin(i)));
    expect(quantizationSnrDb(peaked, { min: -0.002, max: 1 })).toBeLessThan(10);
  });

  it('rewrites a stride-1 ConvTranspose as a Conv that onnxruntime computes identically', async () => {
    const [ci, co, k] = [3, 2, 5];
    const w = Float32Array.from({ length: ci * co * k * k }, (_, i) => Math.sin(i * 1.7));
    const conv = convTransposeAsConvWeights(w, [ci, co, k, k]);
    const model = (op: string, weights: Float32Array, dims: number[], pads: number): QModel => ({
      irVersion: 8, opset: 17, producerName: 't', producerVersion: '0', graphName: 'g', metadata: [],
      nodes: [{ opType: op, name: 'n', inputs: ['x', 'w'], outputs: ['y'], attributes: { pads: { kind: 'ints', value: [pads, pads, pads, pads] } } }],
      initializers: [{ name: 'w', dims, dataType: DT.float, raw: packValues(DT.float, weights) }],
      inputs: [{ name: 'x', elemType: DT.float, shape: [1, ci, 9, 9] }],
      outputs: [{ name: 'y', elemType: DT.float }],
    });
    const x = new ort.Tensor('float32', Float32Array.from({ length: ci * 81 }, (_, i) => Math.cos(i * 0.37)), [1, ci, 9, 9]);
    const run = async (m: QModel): Promise<ort.Tensor> => (await (await ort.InferenceSession.create(encodeOnnx(m))).run({ x })).y!;
    const a = await run(model('ConvTranspose', w, [ci, co, k, k], 1));
    const b = await run(model('Conv', conv.values, conv.dims, k - 1 - 1));
    expect(b.dims).toEqual(a.dims);
    const av = a.data as Float32Array;
    const bv = b.data as Float32Array;
    expect(Math.max(...av.map((v, i) => Math.abs(v - bv[i]!)))).toBeLessThan(1e-5);
    expect(Math.max(...av.map(Math.abs))).toBeGreaterThan(1);
  });
});

describe('planning', () => {
  const dcae = (): QModel => decodeOnnx(new Uint8Array(readFileSync(shipped('dcae'))));

  it('keeps the layers around a too-peaked activation in float32', () => {
    const plan = planQuantization(dcae(), { floatTensors: new Set(['enc_conv3_4', 'enc_flatten_flat_7']) });
    expect(plan.nodes.map((n) => n.name)).toEqual(['enc_conv1_0', 'enc_conv2_2', 'dec_dense_10', 'dec_deconv3_14']);
    expect(plan.skipped.slice(0, 2)).toEqual([
      { name: 'enc_conv3_4', opType: 'Conv', why: 'its output enc_conv3_4 is too peaked for 8 bits' },
      { name: 'enc_dense_8', opType: 'Gemm', why: 'its input enc_flatten_flat_7 is too peaked for 8 bits' },
    ]);
    expect(plan.tensors).not.toContain('enc_flatten_flat_7');
  });

  it('never leaves a float layer between a dequantize and a quantize (onnxruntime would quantize it per tensor)', () => {
    // enc_conv3_4 in float feeds enc_dense_8 through Transpose and Reshape only: the dense layer stays float too.
    const plan = planQuantization(dcae(), { exclude: ['enc_conv3_4'] });
    expect(plan.nodes.map((n) => n.name)).not.toContain('enc_dense_8');
    expect(plan.skipped.find((s) => s.name === 'enc_dense_8')!.why).toMatch(/reads the float layer enc_conv3_4's output/);
    // Its BatchNormalization is no pass-through: the decoder's dense layer stays int8.
    expect(plan.nodes.map((n) => n.name)).toContain('dec_dense_10');
  });
});

describe.each(['dcae', 'rbm'])('int8 quantization of the shipped %s', (name) => {
  let q: QuantizeFileResult;
  let fp32: QModel;
  let int8: QModel;
  beforeAll(async () => {
    // Every layer that can be (minSnrDb 0), so the plan does not depend on the calibration lenses.
    q = await quantizeFile({ modelPath: shipped(name), dataPath: join(dir, 'calib.npy'), grid: { width: 64, height: 64, pixelScale: 0.1 }, outPath: join(dir, `${name}.int8.onnx`), minSnrDb: 0 });
    fp32 = decodeOnnx(new Uint8Array(readFileSync(shipped(name))));
    int8 = decodeOnnx(new Uint8Array(readFileSync(q.outPath)));
  }, 60_000);

  it('plans the network\'s layers and never the scoring head', () => {
    const body = new Set([...bodyNodes(fp32)].map((n) => n.name));
    const planned = q.plan.nodes.map((n) => n.name);
    expect(planned.every((n) => body.has(n))).toBe(true);
    if (name === 'rbm') expect(planned).toEqual(['rbm_hidden_3', 'rbm_visible_5']);
    else {
      // Every encoder layer, both dense layers and the stride-1 transposed conv; the strided ones stay float.
      expect(planned).toEqual(['enc_conv1_0', 'enc_conv2_2', 'enc_conv3_4', 'enc_dense_8', 'dec_dense_10', 'dec_deconv3_14']);
      expect(q.plan.nodes.find((n) => n.name === 'dec_deconv3_14')!.fromConvTranspose).toBe(true);
      expect(q.plan.skipped.map((s) => s.name)).toEqual(['dec_deconv2_16', 'dec_deconv1_19']);
    }
    expect(q.images).toBe(64);
    expect(q.bytes).toBeLessThan(q.fp32Bytes * 0.4);
  });

  it('keeps the scoring head, inputs and outputs exactly as exported', () => {
    // The head: every node the reconstruction does not depend on.
    const head = (m: QModel): string => {
      const body = bodyNodes(m);
      return JSON.stringify(m.nodes.filter((n) => !body.has(n)));
    };
    expect(head(int8)).toBe(head(fp32));
    expect(head(fp32)).toContain('"outputs":["score_sharp"]');
    expect(int8.inputs).toEqual(fp32.inputs);
    expect(int8.outputs).toEqual(fp32.outputs);
    for (const t of fp32.initializers.filter((t) => t.name.startsWith('head.'))) expect(int8.initializers.find((u) => u.name === t.name)).toEqual(t);
    expect(new Map(int8.metadata).get('darklens.weights')).toMatch(/^int8/);
  });

  it('passes onnx.checker full_check', () => {
    expect(python('import sys, onnx\nm = onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\nprint("ok", m.opset_import[0].version)', q.outPath).trim()).toBe('ok 17');
  });

  it('is fused by onnxruntime into integer kernels, one per planned layer', async () => {
    const optimized = join(dir, `${name}.int8.optimized.onnx`);
    await ort.InferenceSession.create(q.outPath, { graphOptimizationLevel: 'extended', optimizedModelFilePath: optimized });
    const ops = JSON.parse(python('import sys, json, onnx\nprint(json.dumps([n.op_type for n in onnx.load(sys.argv[1]).graph.node]))', optimized)) as string[];
    const count = (op: string): number => ops.filter((o) => o === op).length;
    expect(count('QLinearConv')).toBe(q.plan.nodes.filter((n) => n.opType === 'Conv').length);
    expect(count('QGemm')).toBe(q.plan.nodes.filter((n) => n.opType === 'Gemm').length);
    expect(count('Gemm')).toBe(0);
    // Left in float: the head's four filters and the strided transposed convs.
    expect(count('Conv')).toBe(4);
    expect(count('ConvTranspose')).toBe(q.plan.skipped.length);
  });

  it('scores close to the fp32 model', () => {
    const a = q.agreement;
    expect(Object.keys(a)).toEqual(['mse', 'chi2', 'psf', 'mf', 'mf2', 'sharp']);
    // The training score moves by about a percent: far less than smooth lenses differ from one another.
    expect(a.mse!.median).toBeLessThan(0.03);
    expect(a.mse!.median).toBeGreaterThan(0);
    expect(a.psf!.median).toBeLessThan(0.06);
  });
});

describe('quantizeFile', () => {
  it('writes beside the model by default and refuses a graph without a darklens body', async () => {
    expect(int8Path('/m/v2/model.onnx')).toBe('/m/v2/model.int8.onnx');
    const copy = join(dir, 'model.onnx');
    writeFileSync(copy, readFileSync(shipped('rbm')));
    const r = await quantizeFile({ modelPath: copy, dataPath: join(dir, 'calib.npy'), images: 8 });
    expect(r.outPath).toBe(join(dir, 'model.int8.onnx'));
    expect(existsSync(r.outPath)).toBe(true);
    expect(r.images).toBe(8);
    const m = decodeOnnx(new Uint8Array(readFileSync(copy)));
    expect(() => planQuantization({ ...m, nodes: m.nodes.filter((n) => n.name !== 'reconstruction_out') })).toThrow(/no "reconstruction" output/);
  }, 60_000);
});
