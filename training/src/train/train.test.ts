/**
 * Training, checkpoints and evaluation on a tiny simulated set (48 model-a no_sub 64x64 images),
 * wasm backend, batch 8, a few epochs per run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDarklensError, readNpy, readPng, writeNpy } from '@darklens/core';
import { selectBackend, type Tf } from '../backend/select.js';
import { resolveSpec } from '../simulate/presets.js';
import { simulateToFiles } from '../simulate/output.js';
import { maxAbsDiff } from '../../../test/helpers/ring-images.js';
import { loadImages, splitImages } from './data.js';
import { evaluate } from './evaluate.js';
import { runTraining, setupTraining, train, type CheckpointInfo, type TrainOptions, type TrainProgress } from './train.js';

const quiet = { log: (): void => undefined, backend: 'wasm' as const };
let dir: string;
let data: string;
let tf: Tf;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'darklens-train-'));
  await simulateToFiles({ spec: resolveSpec('model-a'), klass: 'no_sub', count: 48, seed: 7, outDir: dir, name: 'train', threads: 0 });
  data = join(dir, 'train.npy');
  tf = (await selectBackend({ force: 'wasm', log: () => undefined })).tf;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = (out: string, more: Partial<TrainOptions> = {}): TrainOptions => ({
  dataPath: data,
  checkpointDir: join(dir, out),
  epochs: 3,
  batchSize: 8,
  seed: 1,
  ...quiet,
  ...more,
});

async function code(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  return isDarklensError(e) ? e.code : `not a DarklensError: ${String(e)}`;
}

let reference: Awaited<ReturnType<typeof train>>;

/** Runs `opts` and stops it (as Ctrl-C would) once epoch `after` is saved. */
async function interrupted(opts: TrainOptions, after: number): Promise<void> {
  const ac = new AbortController();
  const run = train({
    ...opts,
    signal: ac.signal,
    onProgress: (e) => {
      if (e.valLoss !== undefined && e.epoch === after) ac.abort(new Error('stop'));
    },
  });
  await expect(run).rejects.toThrow('stop');
}

describe('train', () => {
  it('lowers the loss, keeps memory flat, writes a checkpoint that evaluate reproduces', async () => {
    const tensorsAtEpochEnd: number[] = [];
    const seen: number[] = [];
    reference = await train(
      base('a', {
        onProgress: (e) => {
          if (e.valLoss !== undefined) tensorsAtEpochEnd.push(tf.memory().numTensors);
          seen.push(e.batch);
        },
      }),
    );
    const h = reference.history;
    expect(h.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(h[2]!.loss).toBeLessThan(h[0]!.loss);
    expect(reference.backend).toBe('wasm');
    expect(reference.stopped).toBe('completed');
    expect(seen.slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]); // 43 training images / 8 = 6 batches
    expect(tensorsAtEpochEnd[2]).toBe(tensorsAtEpochEnd[1]);

    const ck = join(dir, 'a');
    for (const f of ['model.json', 'weights.bin', 'training.json', 'loss.png', 'last/model.json', 'last/weights.bin', 'last/optimizer.bin']) {
      expect(existsSync(join(ck, f))).toBe(true);
    }
    const tj = JSON.parse(readFileSync(join(ck, 'training.json'), 'utf8')) as Record<string, unknown>;
    expect(tj).toMatchObject({ model: 'dcae', inputSize: 64, epoch: 3, seed: 1, backend: 'wasm', bestEpoch: reference.bestEpoch });
    expect(tj.options).toMatchObject({ schedule: 'one-cycle', weightDecay: 1e-5, learningRate: 2e-3, optimizer: 'adam' });
    const png = readPng(new Uint8Array(readFileSync(join(ck, 'loss.png'))));
    expect([png.width, png.height]).toEqual([640, 480]);
    expect((tj.data as { fingerprint: { value: string } }).fingerprint.value).toMatch(/^[0-9a-f]{64}$/);

    // evaluate on the validation images reproduces the best epoch's validation loss
    const split = splitImages(await loadImages(data), 0.1, 1);
    const valPath = join(dir, 'val.npy');
    writeFileSync(valPath, writeNpy(split.validation.data, [split.validation.count, 1, 64, 64]));
    const out = join(dir, 'recon.npy');
    const ev = await evaluate({ dataPath: valPath, checkpointDir: ck, outPath: out, batchSize: 2, ...quiet });
    expect(ev.count).toBe(5);
    expect(Math.abs(ev.means.mse! - reference.bestValLoss)).toBeLessThan(1e-5);
    const recon = readNpy(new Uint8Array(readFileSync(out)));
    expect([recon.count, recon.height, recon.width]).toEqual([5, 64, 64]);
    let direct = 0;
    for (let k = 0; k < 64 * 64; k++) direct += (recon.data[k]! - split.validation.data[k]!) ** 2;
    expect(Math.abs(direct / 4096 - ev.scores.mse![0]!)).toBeLessThan(1e-6);
  });

  it('is reproducible: same seed, same history bit for bit; another seed differs', async () => {
    const again = await train(base('b'));
    expect(again.history).toEqual(reference.history);
    const other = await train(base('c', { seed: 2, epochs: 1 }));
    expect(other.history[0]!.loss).not.toBe(reference.history[0]!.loss);
  });

  it('resumes at the next epoch, exactly as an uninterrupted run', async () => {
    await interrupted(base('d'), 2);
    const tj2 = JSON.parse(readFileSync(join(dir, 'd', 'training.json'), 'utf8')) as { epoch: number; state: string };
    expect(tj2).toMatchObject({ epoch: 2, state: 'running' });
    const resumed = await train(base('d', { resume: true }));
    expect(resumed.history.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(resumed.history).toEqual(reference.history);
    const tj = JSON.parse(readFileSync(join(dir, 'd', 'training.json'), 'utf8')) as { optimizerState: string };
    expect(tj.optimizerState).toMatch(/restored/);
  });

  it('stops within a batch when aborted by a timer or a signal handler (the event loop runs between steps)', async () => {
    const ac = new AbortController();
    let batches = 0;
    const run = train(
      base('abort', {
        epochs: 1,
        batchSize: 1,
        signal: ac.signal,
        onProgress: () => {
          batches++;
          // Like a SIGINT handler: runs only when the loop yields, not inside the step.
          if (batches === 1) setTimeout(() => ac.abort(new Error('stopped by a timer')), 0);
        },
      }),
    );
    await expect(run).rejects.toThrow('stopped by a timer');
    expect(batches).toBeLessThan(5); // of 43 batches in the epoch
  });

  it('stops early after `patience` epochs without improvement', async () => {
    const r = await train(base('e', { epochs: 12, patience: 1, learningRate: 0.5, maxImages: 24 }));
    expect(r.stopped).toBe('early-stopping');
    expect(r.history.length).toBeLessThan(12);
    expect(r.history.length).toBe(r.bestEpoch + 1);
  });

  it('fine-tunes from a pretrained checkpoint', async () => {
    const scratch = await train(base('f', { epochs: 1, seed: 3 }));
    const tuned = await train(base('g', { epochs: 1, seed: 3, pretrain: join(dir, 'a') }));
    expect(tuned.history[0]!.loss).toBeLessThan(scratch.history[0]!.loss);
  });

  it('rejects bad inputs with DarklensErrors', async () => {
    const small = join(dir, 'small.npy');
    writeFileSync(small, writeNpy(new Float32Array(4 * 16 * 16).map((_, i) => i % 7), [4, 1, 16, 16]));
    const oblong = join(dir, 'oblong.npy');
    writeFileSync(oblong, writeNpy(new Float32Array(2 * 8 * 16), [2, 1, 8, 16]));
    expect(await code(train(base('x', { dataPath: join(dir, 'missing.npy') })))).toBe('not_found');
    expect(await code(train(base('x', { dataPath: oblong })))).toBe('bad_shape');
    expect(await code(train(base('x', { model: 'gan' as 'dcae' })))).toBe('invalid_argument');
    expect(await code(train(base('x', { schedule: 'step' as 'constant' })))).toBe('invalid_argument');
    expect(await code(train(base('x', { weightDecay: -1 })))).toBe('invalid_argument');
    expect(await code(train(base('x', { model: 'rbm', pretrain: join(dir, 'a') })))).toBe('invalid_argument');
    expect(await code(train(base('x', { epochs: 0 })))).toBe('invalid_argument');
    expect(await code(train(base('x', { batchSize: 1.5 })))).toBe('invalid_argument');
    expect(await code(train(base('x', { learningRate: -1 })))).toBe('invalid_argument');
    expect(await code(train(base('x', { validationFraction: 1 })))).toBe('invalid_argument');
    expect(await code(train(base('x', { optimizer: 'rmsprop' as 'adam' })))).toBe('invalid_argument');
    expect(await code(train(base('x', { resume: true })))).toBe('not_found');
    expect(await code(train(base('x', { dataPath: small, pretrain: join(dir, 'a') })))).toBe('bad_shape');
    expect(await code(evaluate({ dataPath: small, checkpointDir: join(dir, 'a'), ...quiet }))).toBe('bad_shape');
    expect(await code(evaluate({ dataPath: data, checkpointDir: join(dir, 'nope'), ...quiet }))).toBe('not_found');
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});

describe('train, as an orchestrator calls it', () => {
  it('setupTraining + runTraining give the run train() gives, with the hook\'s files and progress with fraction and ETA', async () => {
    let t = 0;
    const events: TrainProgress[] = [];
    const infos: CheckpointInfo[] = [];
    const session = await setupTraining(base('h', { resume: 'auto' }));
    expect(session.resumed).toBe(false);
    let result;
    try {
      result = await runTraining(session, {
        now: () => (t += 100),
        onProgress: (e) => events.push(e),
        onCheckpoint: (c) => {
          infos.push(c);
          return { 'epoch.txt': new TextEncoder().encode(String(c.epoch)) };
        },
      });
    } finally {
      session.dispose();
    }
    expect(result.history).toEqual(reference.history);
    expect(infos.map((c) => [c.epoch, c.state, c.history.length])).toEqual([
      [1, 'running', 1],
      [2, 'running', 2],
      [3, 'completed', 3],
    ]);
    expect(infos[2]).toMatchObject({ model: 'dcae', epochs: 3, bestEpoch: reference.bestEpoch, bestValLoss: reference.bestValLoss, checkpointDir: join(dir, 'h') });
    // The hook's files are saved with the checkpoint; the loop itself draws nothing.
    expect(readFileSync(join(dir, 'h', 'epoch.txt'), 'utf8')).toBe('3');
    expect(existsSync(join(dir, 'h', 'loss.png'))).toBe(false);
    // Fraction of the run done and the ETA at this call's pace: elapsed * (1 - fraction) / fraction.
    expect(events.filter((e) => e.valLoss !== undefined).map((e) => e.fraction)).toEqual([1 / 3, 2 / 3, 1]);
    for (const [k, e] of events.entries()) {
      expect(e.elapsedMs).toBe(100 * (k + 1));
      expect(Math.abs(e.etaMs - (e.elapsedMs * (1 - e.fraction)) / e.fraction)).toBeLessThan(1e-6);
    }
    expect(events.at(-1)!.etaMs).toBe(0);
  });

  it("resume: 'auto' starts a run, continues it exactly after an interruption, and leaves a finished one as it is", async () => {
    await interrupted(base('i', { resume: 'auto' }), 2);
    const fractions: number[] = [];
    const resumed = await train(base('i', { resume: 'auto', onProgress: (e) => fractions.push(e.fraction) }));
    expect(resumed.history).toEqual(reference.history);
    expect(fractions[0]).toBeGreaterThan(2 / 3);
    const saved = readFileSync(join(dir, 'i', 'training.json'), 'utf8');
    let hooked = 0;
    const again = await train(base('i', { resume: 'auto', onCheckpoint: () => void hooked++ }));
    expect(again).toMatchObject({ history: reference.history, stopped: 'completed' });
    expect(hooked).toBe(0);
    expect(readFileSync(join(dir, 'i', 'training.json'), 'utf8')).toBe(saved);
    // With nothing to resume, 'auto' starts from `pretrain` (which `resume: true` refuses).
    await train(base('j', { resume: 'auto', epochs: 1, pretrain: join(dir, 'a') }));
    expect(JSON.parse(readFileSync(join(dir, 'j', 'training.json'), 'utf8'))).toMatchObject({ pretrain: join(dir, 'a'), epoch: 1 });
  });
});

describe('train --model vae', () => {
  const vae = (out: string, more: Partial<TrainOptions> = {}): TrainOptions => base(out, { model: 'vae', epochs: 2, maxImages: 40, ...more });
  let ref: Awaited<ReturnType<typeof train>>;

  it('lowers its loss (MSE + beta * KL) and validates on the mean reconstruction MSE', async () => {
    ref = await train(vae('va'));
    expect(ref.history.map((r) => r.epoch)).toEqual([1, 2]);
    expect(ref.history[1]!.loss).toBeLessThan(ref.history[0]!.loss);
    const tj = JSON.parse(readFileSync(join(dir, 'va', 'training.json'), 'utf8')) as Record<string, unknown>;
    expect(tj).toMatchObject({ model: 'vae', epoch: 2, bestEpoch: ref.bestEpoch });

    // evaluate scores the validation images with the saved (mean) network: valLoss, and recon files
    const split = splitImages(await loadImages(data, { maxImages: 40 }), 0.1, 1);
    const valPath = join(dir, 'vae-val.npy');
    writeFileSync(valPath, writeNpy(split.validation.data, [split.validation.count, 1, 64, 64]));
    const out = join(dir, 'vae-recon.npy');
    const ev = await evaluate({ dataPath: valPath, checkpointDir: join(dir, 'va'), outPath: out, batchSize: 3, ...quiet });
    expect(ev.count).toBe(4);
    expect(Math.abs(ev.means.mse! - ref.bestValLoss)).toBeLessThan(1e-5);
    const recon = readNpy(new Uint8Array(readFileSync(out)));
    for (let i = 0; i < ev.count; i++) {
      let direct = 0;
      for (let k = i * 4096; k < (i + 1) * 4096; k++) direct += (recon.data[k]! - split.validation.data[k]!) ** 2;
      expect(Math.abs(direct / 4096 - ev.scores.mse![i]!)).toBeLessThan(1e-6);
    }
    const again = await evaluate({ dataPath: valPath, checkpointDir: join(dir, 'va'), batchSize: 1, ...quiet });
    for (const name of ev.scoreNames) expect(maxDiff(again.scores[name]!, ev.scores[name]!), name).toBeLessThan(1e-6);
  });

  it('is reproducible and resumes exactly (weights, heads and optimizer restored by name)', async () => {
    await interrupted(vae('vb'), 1);
    const resumed = await train(vae('vb', { resume: true }));
    expect(resumed.history).toEqual(ref.history);
  });

  it('fine-tunes from a VAE checkpoint and refuses a DCAE one', async () => {
    const tuned = await train(vae('vc', { epochs: 1, pretrain: join(dir, 'va') }));
    expect(tuned.history[0]!.loss).toBeLessThan(ref.history[0]!.loss);
    expect(await code(train(vae('vx', { epochs: 1, pretrain: join(dir, 'a') })))).toBe('invalid_argument');
    expect(existsSync(join(dir, 'vx'))).toBe(false);
  });
});

describe('train --model aae', () => {
  const aae = (out: string, more: Partial<TrainOptions> = {}): TrainOptions => base(out, { model: 'aae', epochs: 2, maxImages: 40, ...more });
  let ref: Awaited<ReturnType<typeof train>>;

  it('trains, saving the discriminator and both optimizers with the checkpoint', async () => {
    ref = await train(aae('aa'));
    expect(ref.history[1]!.loss).toBeLessThan(ref.history[0]!.loss);
    for (const f of ['last/extras/discriminator/model.json', 'last/extras/discriminator/weights.bin', 'last/optimizer.bin', 'last/optimizer-discriminator.bin']) {
      expect(existsSync(join(dir, 'aa', f)), f).toBe(true);
    }
  });

  it('resumes exactly: inference network, discriminator and both optimizers restored', async () => {
    await interrupted(aae('ab'), 1);
    const resumed = await train(aae('ab', { resume: true }));
    expect(resumed.history).toEqual(ref.history);
    const tj = JSON.parse(readFileSync(join(dir, 'ab', 'training.json'), 'utf8')) as { optimizerState: string };
    expect(tj.optimizerState).toBe('restored from the checkpoint');
  });
});

describe('train --model rbm', () => {
  it('trains by contrastive divergence, validates on the mean-field MSE, and resumes exactly', async () => {
    const rbm = (out: string, more: Partial<TrainOptions> = {}): TrainOptions => base(out, { model: 'rbm', epochs: 3, learningRate: 1e-2, ...more });
    const r = await train(rbm('ra'));
    expect(r.history[2]!.valLoss).toBeLessThan(r.history[0]!.valLoss);
    const ev = await evaluate({ dataPath: data, checkpointDir: join(dir, 'ra'), maxImages: 4, ...quiet });
    expect(ev.scores.mse!.every((v) => v > 0 && v < 1)).toBe(true);
    await interrupted(rbm('rb'), 2);
    expect((await train(rbm('rb', { resume: true }))).history).toEqual(r.history);
  });
});

const maxDiff = maxAbsDiff;
