import type { Rank, Tensor, Tensor4D } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fill, prod, rng } from '../../../test/helpers/kernel-data.js';
import { selectBackend, type Tf } from './select.js';
import { registerWasmSpeedups, unregisterWasmSpeedups } from './wasm-speedups.js';

/** Same tolerance as the filter-gradient tests: |wasm - cpu| <= 1e-4 * max(1, |cpu|) per element. */
const TOL = 1e-4;

function worst(ref: Float32Array, got: Float32Array): number {
  expect(got.length).toBe(ref.length);
  let w = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i] as number;
    w = Math.max(w, Math.abs(r - (got[i] as number)) / Math.max(1, Math.abs(r)));
  }
  return w;
}

let tf: Tf;
beforeAll(async () => {
  ({ tf } = await selectBackend({ force: 'wasm', log: () => {} }));
});

async function onBoth(f: () => Tensor): Promise<{ ref: Float32Array; got: Float32Array; shape: number[] }> {
  await tf.setBackend('cpu');
  const a = tf.tidy(f);
  const ref = (await a.data()) as Float32Array;
  a.dispose();
  await tf.setBackend('wasm');
  const b = tf.tidy(f);
  const got = (await b.data()) as Float32Array;
  const shape = b.shape;
  b.dispose();
  return { ref, got, shape };
}

describe('wasm Conv2DBackpropInput replacement equals the cpu backend', () => {
  const cases: [number, number, number, number, number, number, 'same' | 'valid'][] = [
    // batch, size, inC, outC, k, stride, pad
    [1, 15, 1, 16, 3, 1, 'same'],
    [4, 16, 16, 32, 5, 2, 'valid'],
    [2, 64, 1, 16, 7, 3, 'same'],
    [2, 22, 16, 32, 7, 3, 'same'],
    [2, 8, 32, 64, 7, 1, 'same'],
    [3, 9, 4, 5, 4, 1, 'same'],
    [2, 10, 3, 6, 3, 1, 'valid'],
  ];
  for (const [b, n, ci, co, k, s, pad] of cases) {
    it(`input gradient b${b} ${n}x${n} ${ci}->${co} k${k} s${s} ${pad}`, async () => {
      const r = rng(b * 100 + n + ci + co + k + s);
      const x = fill(b * n * n * ci, r);
      const w = fill(k * k * ci * co, r);
      for (const opts of [{}, { maxColsElements: 2000 }, { stride1: false }]) {
        registerWasmSpeedups(tf, opts);
        const { ref, got } = await onBoth(() => {
          const wt = tf.tensor4d(w, [k, k, ci, co]);
          return tf.grad((xx: Tensor) => tf.conv2d(xx as Tensor4D, wt, s, pad).square().sum())(tf.tensor4d(x, [b, n, n, ci]));
        });
        expect(worst(ref, got)).toBeLessThanOrEqual(TOL);
      }
      registerWasmSpeedups(tf);
    });
  }

  it('conv2dTranspose forward (the same kernel) matches, explicit output shape with stride 3', async () => {
    const r = rng(5);
    const h = fill(2 * 8 * 8 * 32, r);
    const w = fill(7 * 7 * 16 * 32, r);
    const { ref, got, shape } = await onBoth(() =>
      tf.conv2dTranspose(tf.tensor4d(h, [2, 8, 8, 32]), tf.tensor4d(w, [7, 7, 16, 32]), [2, 22, 22, 16], 3, 'same'),
    );
    expect(shape).toEqual([2, 22, 22, 16]);
    expect(worst(ref, got)).toBeLessThanOrEqual(TOL);
  });
});

describe('wasm BatchMatMul replacement (transposed operands) equals the cpu backend', () => {
  const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [40, 33], b: [40, 17], ta: true, tb: false },
    { a: [33, 40], b: [17, 40], ta: false, tb: true },
    { a: [3, 40, 33], b: [3, 17, 40], ta: true, tb: true },
    { a: [1, 40, 33], b: [3, 40, 17], ta: true, tb: false },
    { a: [33, 40], b: [40, 17], ta: false, tb: false },
  ];
  for (const c of cases) {
    it(`[${c.a.join(',')}]${c.ta ? 'ᵀ' : ''} x [${c.b.join(',')}]${c.tb ? 'ᵀ' : ''}`, async () => {
      const r = rng(prod(c.a) + prod(c.b));
      const av = fill(prod(c.a), r);
      const bv = fill(prod(c.b), r);
      const { ref, got } = await onBoth(() => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb));
      expect(worst(ref, got)).toBeLessThanOrEqual(TOL);
    });
  }
});

describe('registration', () => {
  it('frees scratch tensors and can be undone', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const dy = tf.randomUniform<Rank.R4>([4, 8, 8, 32]);
    const w = tf.randomUniform<Rank.R4>([3, 3, 16, 32]);
    const a = tf.randomUniform<Rank.R2>([64, 20]);
    for (const opts of [{}, { maxColsElements: 1000 }]) {
      registerWasmSpeedups(tf, opts);
      const before = backend.numDataIds();
      const dx = tf.conv2dTranspose(dy, w, [4, 16, 16, 16], 2, 'same');
      const m = tf.matMul(a, a, true, false);
      expect(backend.numDataIds()).toBe(before + 2);
      dx.dispose();
      m.dispose();
      expect(backend.numDataIds()).toBe(before);
    }
    const ours = tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc;
    unregisterWasmSpeedups(tf);
    const stock = tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc;
    expect(stock).toBeDefined();
    expect(stock).not.toBe(ours);
    // The stock kernels still work after the round trip.
    const y = tf.conv2dTranspose(dy, w, [4, 16, 16, 16], 2, 'same');
    expect(y.shape).toEqual([4, 16, 16, 16]);
    y.dispose();
    registerWasmSpeedups(tf);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).not.toBe(stock);
    tf.dispose([dy, w, a]);
  });
});
