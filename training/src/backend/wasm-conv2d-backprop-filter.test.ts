import type { Rank, Tensor, Tensor4D } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fill, prod, rng } from '../../../test/helpers/kernel-data.js';
import { selectBackend, type Tf } from './select.js';
import { registerWasmConv2DBackpropFilter, type Conv2DBackpropFilterImpl } from './wasm-conv2d-backprop-filter.js';

/**
 * Tolerance, stated once: each element of the wasm filter gradient g must satisfy
 * |g - ref| <= 1e-4 * max(1, |ref|) against the cpu backend's ref, i.e. absolute 1e-4 for
 * gradients up to 1 in size and relative 1e-4 above (sums over up to ~60k products reach ~50).
 */
const TOL = 1e-4;

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  batch: number;
  size: [number, number];
  inC: number;
  outC: number;
  k: number;
  stride: number;
  pad: Pad;
}

let tf: Tf;

beforeAll(async () => {
  ({ tf } = await selectBackend({ force: 'wasm', log: () => {} }));
});

/** d(sum(conv2d(x, w) * dy)) / dw on the given backend: exactly the Conv2DBackpropFilter of (x, dy). */
async function filterGrad(
  backend: 'cpu' | 'wasm',
  c: Case,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  dyShape: number[],
): Promise<Float32Array> {
  await tf.setBackend(backend);
  const out = tf.tidy(() => {
    const xt = tf.tensor4d(x, [c.batch, c.size[0], c.size[1], c.inC]);
    const dyt = tf.tensor(dy, dyShape);
    const f = (wt: Tensor) => tf.conv2d(xt, wt as Tensor4D, c.stride, c.pad).mul(dyt).sum();
    return tf.grad(f)(tf.tensor4d(w, [c.k, c.k, c.inC, c.outC]));
  });
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

function compare(ref: Float32Array, got: Float32Array): { maxAbs: number; maxRel: number; worst: number } {
  expect(got.length).toBe(ref.length);
  let maxAbs = 0;
  let maxRel = 0;
  let worst = 0; // max of |d| / max(1, |ref|)
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i] as number;
    const d = Math.abs(r - (got[i] as number));
    maxAbs = Math.max(maxAbs, d);
    if (Math.abs(r) > 1e-3) maxRel = Math.max(maxRel, d / Math.abs(r));
    worst = Math.max(worst, d / Math.max(1, Math.abs(r)));
  }
  return { maxAbs, maxRel, worst };
}

const CASES: Case[] = [
  { batch: 1, size: [15, 15], inC: 1, outC: 16, k: 3, stride: 1, pad: 'same' },
  { batch: 4, size: [16, 16], inC: 1, outC: 16, k: 5, stride: 2, pad: 'valid' },
  { batch: 4, size: [64, 64], inC: 1, outC: 16, k: 7, stride: 3, pad: 'same' },
  { batch: 1, size: [15, 15], inC: 16, outC: 32, k: 7, stride: 3, pad: 'same' },
  { batch: 4, size: [16, 16], inC: 16, outC: 32, k: 3, stride: 2, pad: 'same' },
  { batch: 1, size: [64, 64], inC: 16, outC: 32, k: 3, stride: 3, pad: 'valid' },
  { batch: 2, size: [22, 22], inC: 16, outC: 32, k: 7, stride: 3, pad: 'same' },
  { batch: 1, size: [15, 16], inC: 16, outC: 32, k: 5, stride: 1, pad: 'valid' },
  { batch: 2, size: [8, 8], inC: 32, outC: 64, k: 7, stride: 1, pad: 'same' }, // the DCAE's conv3
  { batch: 3, size: [9, 6], inC: 4, outC: 5, k: 4, stride: 1, pad: 'same' }, // even kernel: pads 1 | 2
  { batch: 2, size: [7, 9], inC: 3, outC: 2, k: 3, stride: 1, pad: [[0, 0], [2, 0], [1, 1], [0, 0]] },
  { batch: 2, size: [16, 15], inC: 1, outC: 16, k: 3, stride: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { batch: 1, size: [15, 15], inC: 16, outC: 32, k: 3, stride: 2, pad: 1 },
];

const label = (c: Case) =>
  `b${c.batch} ${c.size.join('x')} ${c.inC}->${c.outC} k${c.k} s${c.stride} ${JSON.stringify(c.pad)}`;

describe('wasm Conv2DBackpropFilter equals the cpu backend (|d| <= 1e-4 * max(1, |ref|))', () => {
  const impls: { impl: Conv2DBackpropFilterImpl; maxIm2colElements?: number; stride1?: boolean; name: string }[] = [
    { impl: 'im2col', name: 'im2col + BatchMatMul (stride 1: an XNNPACK convolution)' },
    { impl: 'im2col', stride1: false, name: 'im2col + BatchMatMul for every stride' },
    { impl: 'im2col', maxIm2colElements: 3000, name: 'im2col split into batch chunks' },
    { impl: 'js', name: 'plain JS' },
  ];
  for (const c of CASES) {
    it(label(c), async () => {
      const r = rng(c.batch * 1000 + c.size[0] * 31 + c.size[1] + c.inC * 7 + c.outC + c.k * 13 + c.stride);
      const x = fill(c.batch * c.size[0] * c.size[1] * c.inC, r);
      const w = fill(c.k * c.k * c.inC * c.outC, r);
      await tf.setBackend('cpu');
      const dyShape = tf.tidy(() =>
        tf.conv2d(
          tf.zeros<Rank.R4>([c.batch, c.size[0], c.size[1], c.inC]),
          tf.zeros<Rank.R4>([c.k, c.k, c.inC, c.outC]),
          c.stride,
          c.pad,
        ).shape,
      );
      const dy = fill(prod(dyShape), r);
      const ref = await filterGrad('cpu', c, x, w, dy, dyShape);
      for (const v of impls) {
        registerWasmConv2DBackpropFilter(tf, v);
        const got = await filterGrad('wasm', c, x, w, dy, dyShape);
        const e = compare(ref, got);
        expect(e.worst, `${v.name}: max abs ${e.maxAbs}, max rel ${e.maxRel}`).toBeLessThanOrEqual(TOL);
      }
      registerWasmConv2DBackpropFilter(tf);
    });
  }

  it('also serves conv2dTranspose (filter gradient with the roles of x and dy swapped)', async () => {
    const r = rng(7);
    const x = fill(8 * 8 * 32, r);
    const w = fill(7 * 7 * 16 * 32, r);
    const run = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      const g = tf.tidy(() => {
        const xt = tf.tensor4d(x, [1, 8, 8, 32]);
        const f = (wt: Tensor) => tf.conv2dTranspose(xt, wt as Tensor4D, [1, 22, 22, 16], 3, 'same').square().sum();
        return tf.grad(f)(tf.tensor4d(w, [7, 7, 16, 32]));
      });
      const d = (await g.data()) as Float32Array;
      g.dispose();
      return d;
    };
    const ref = await run('cpu');
    expect(compare(ref, await run('wasm')).worst).toBeLessThanOrEqual(TOL);
  });

  it('rejects NCHW and dilations other than 1 with a clear message', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 8, 8, 2]);
    const dy = tf.zeros([1, 8, 8, 3]);
    const attrs = { strides: 1, pad: 'same', filterShape: [3, 3, 2, 3] };
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, dataFormat: 'NCHW' })).toThrow(
      /only dataFormat 'NHWC'/,
    );
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, dataFormat: 'NHWC', dilations: 2 }),
    ).toThrow(/only dilations 1/);
    const ok = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, dataFormat: 'NHWC' }) as {
      shape: number[];
      dispose(): void;
    };
    expect(ok.shape).toEqual([3, 3, 2, 3]);
    ok.dispose();
    x.dispose();
    dy.dispose();
  });

  it('frees its scratch memory (no wasm tensors left behind)', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomUniform([4, 16, 16, 16]);
    const dy = tf.randomUniform([4, 8, 8, 32]);
    const attrs = { strides: 2, pad: 'same', filterShape: [3, 3, 16, 32], dataFormat: 'NHWC' };
    const backend = tf.backend() as unknown as { numDataIds(): number };
    for (const opts of [{}, { maxIm2colElements: 3000 }, { impl: 'js' as const }]) {
      registerWasmConv2DBackpropFilter(tf, opts);
      const before = backend.numDataIds();
      const g = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as { dispose(): void };
      expect(backend.numDataIds()).toBe(before + 1);
      g.dispose();
      expect(backend.numDataIds()).toBe(before);
    }
    registerWasmConv2DBackpropFilter(tf);
    x.dispose();
    dy.dispose();
  });
});

describe('training on wasm', () => {
  it('a tiny conv autoencoder (conv + conv2dTranspose) trains and its loss decreases', async () => {
    await tf.setBackend('wasm');
    const r = rng(42);
    // Smooth blobs, so there is structure to learn.
    const n = 8;
    const imgs = new Float32Array(n * 16 * 16);
    for (let i = 0; i < n; i++) {
      const cx = 8 + 6 * r();
      const cy = 8 + 6 * r();
      for (let y = 0; y < 16; y++)
        for (let xx = 0; xx < 16; xx++) imgs[(i * 16 + y) * 16 + xx] = Math.exp(-((xx - cx) ** 2 + (y - cy) ** 2) / 8);
    }
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [16, 16, 1], filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
        tf.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
    const x = tf.tensor4d(imgs, [n, 16, 16, 1]);
    const losses: number[] = [];
    for (let step = 0; step < 25; step++) {
      const loss = await model.trainOnBatch(x, x);
      losses.push(typeof loss === 'number' ? loss : (loss[0] as number));
    }
    const first = losses[0] as number;
    const last = losses[losses.length - 1] as number;
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(0.7 * first);
    x.dispose();
    model.dispose();
  });
});
