/**
 * `darklens train` and `darklens evaluate` end to end through the BUILT CLI (`node cli/bin/darklens.js`);
 * `npm test` builds first, when running vitest directly run `npx tsc -b` beforehand.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '@darklens/core';
import { requireBuiltCli, runCli } from '../../../test/helpers/cli.js';

const cli = (args: string[], cwd: string) => runCli(args, cwd);

let dir: string;
beforeAll(async () => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'darklens-cli-train-'));
  const r = await cli(['simulate', '-c', 'no_sub', '-n', '20', '-s', '5', '-j', '0', '-q', '-o', 'data'], dir);
  expect(r.code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('darklens train / evaluate', () => {
  it('documents its options', async () => {
    const r = await cli(['train', '--help'], dir);
    expect(r.code).toBe(0);
    for (const o of ['--data', '--model', '--epochs', '--batch-size', '--lr', '--optimizer', '--schedule', '--weight-decay', '--seed', '--out', '--resume', '--pretrain', '--patience', '--backend', '--val-fraction', '--max-images', '--jobs']) {
      expect(r.stdout).toContain(o);
    }
  });

  it('trains a tiny model, then evaluates it', async () => {
    const t = await cli(['train', '--data', 'data/no_sub.npy', '--model', 'dcae', '--epochs', '2', '--batch-size', '8', '--backend', 'wasm', '--out', 'ck', '--val-fraction', '0.2'], dir);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toContain("backend 'wasm'");
    expect(t.stderr).toMatch(/epoch 2\/2 100%.*val /);
    expect(t.stdout).toMatch(/^dcae: backend wasm; 2 epochs .*best epoch [12] val loss/);
    expect(existsSync(join(dir, 'ck', 'model.json'))).toBe(true);

    const e = await cli(['evaluate', '--data', 'data/no_sub.npy', '--checkpoint', 'ck', '--out', 'out/recon.npy', '--backend', 'wasm'], dir);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^20 images, mean mse \d.*, chi2 \d.*, sharp -?\d/);
    const scores = JSON.parse(readFileSync(join(dir, 'out', 'scores.json'), 'utf8')) as { count: number; means: Record<string, number>; scores: Record<string, number[]> };
    expect(scores.count).toBe(20);
    expect(scores.scores.mse).toHaveLength(20);
    expect(scores.scores.mf).toHaveLength(20);
    const recon = readNpy(new Uint8Array(readFileSync(join(dir, 'out', 'recon.npy'))));
    expect([recon.count, recon.height, recon.width]).toEqual([20, 64, 64]);
  });

  it('trains several models into one folder each, then measures their sensitivity to f_sub', async () => {
    const t = await cli(['train', '--data', 'data/no_sub.npy', '--model', 'rbm,aae', '--epochs', '1', '--batch-size', '8', '--backend', 'wasm', '--out', 'multi', '-q'], dir);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^aae: backend wasm; 1 epochs .*checkpoint multi\/aae\nrbm: backend wasm; 1 epochs .*checkpoint multi\/rbm\n$/);
    expect(t.stderr).toMatch(/rbm epoch 1\/1 loss /);
    for (const m of ['aae', 'rbm']) for (const f of ['model.json', 'loss.png', 'training.json']) expect(existsSync(join(dir, 'multi', m, f)), `${m}/${f}`).toBe(true);

    const s = await cli(['sensitivity', '--checkpoints', 'multi', '--count', '4', '--f-sub', '0.1,0.25', '-j', '0', '--backend', 'wasm', '-q', '--out', 'sens'], dir);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/^model\tscore\tf_sub 0.1\tf_sub 0.25\naae\tmse\t[01]\.\d{3}\t[01]\.\d{3}\nrbm\tmse\t[01]\.\d{3}\t[01]\.\d{3}\n/);
    for (const f of ['sensitivity.md', 'sensitivity.json', 'sensitivity.png', 'data/no_sub.npy', 'data/fsub-0.1/vortex.npy']) expect(existsSync(join(dir, 'sens', f)), f).toBe(true);
  });

  it('trains several models at once with --jobs, one process each', async () => {
    const t = await cli(['train', '--data', 'data/no_sub.npy', '--model', 'dcae,rbm', '--epochs', '1', '--batch-size', '8', '--backend', 'wasm', '--out', 'jobs', '--jobs', '2'], dir);
    expect(t.code, t.stderr).toBe(0);
    const lines = t.stdout.trim().split('\n').sort();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^dcae: backend wasm; 1 epochs .*checkpoint jobs\/dcae$/);
    expect(lines[1]).toMatch(/^rbm: backend wasm; 1 epochs .*checkpoint jobs\/rbm$/);
    expect(t.stderr).toMatch(/^dcae epoch 1\/1 loss \S+ val \S+$/m);
    expect(t.stderr).toMatch(/^rbm epoch 1\/1 loss \S+ val \S+$/m);
    for (const m of ['dcae', 'rbm']) expect(existsSync(join(dir, 'jobs', m, 'model.json'))).toBe(true);
    const bad = await cli(['train', '--data', 'missing.npy', '--model', 'dcae,rbm', '--jobs', '2', '--out', 'jobs-bad'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^darklens: training failed for dcae, rbm/m);
  });

  it('rejects bad input with exit code 2', async () => {
    for (const args of [
      ['train', '--data', 'missing.npy', '--out', 'x'],
      ['train', '--data', 'data/no_sub.npy', '--model', 'gan'],
      ['train', '--data', 'data/no_sub.npy', '--model', 'dcae,gan'],
      ['train', '--data', 'data/no_sub.npy', '--schedule', 'cosine'],
      ['train', '--data', 'data/no_sub.npy', '--jobs', '0'],
      ['sensitivity', '--checkpoints', 'nowhere'],
      ['sensitivity', '--checkpoints', 'ck', '--f-sub', '0.1,zero'],
      ['sensitivity', '--checkpoints', 'ck', '--f-sub', '2'],
      ['train', '--data', 'data/no_sub.npy', '--epochs', '0'],
      ['train', '--data', 'data/no_sub.npy', '--lr', 'fast'],
      ['evaluate', '--data', 'data/no_sub.npy', '--checkpoint', 'nowhere'],
    ]) {
      const r = await cli(args, dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^darklens: /m);
    }
  });
});
