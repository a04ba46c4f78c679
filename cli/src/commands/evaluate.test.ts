/**
 * `darklens evaluate --report` end to end through the BUILT CLI (`node cli/bin/darklens.js`);
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
  dir = mkdtempSync(join(tmpdir(), 'darklens-cli-report-'));
  const sim = await cli(['simulate', '-c', 'all', '-n', '12', '-s', '5', '-j', '0', '-q', '-o', 'data'], dir);
  expect(sim.code, sim.stderr).toBe(0);
  const t = await cli(['train', '--data', 'data/no_sub.npy', '--model', 'dcae', '--epochs', '1', '--batch-size', '8', '--backend', 'wasm', '--out', 'ck', '--val-fraction', '0.2'], dir);
  expect(t.code, t.stderr).toBe(0);
  const two = await cli(['train', '--data', 'data/no_sub.npy', '--model', 'dcae,rbm', '--epochs', '1', '--batch-size', '8', '--backend', 'wasm', '--out', 'two', '-q'], dir);
  expect(two.code, two.stderr).toBe(0);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('darklens evaluate --report', () => {
  it('documents the report options', async () => {
    const r = await cli(['evaluate', '--help'], dir);
    expect(r.code).toBe(0);
    for (const o of ['--data', '--no-sub', '--spherical', '--vortex', '--report', '--bins', '--report out/report']) expect(r.stdout).toContain(o);
  });

  it('writes the report and prints a metrics table', async () => {
    const r = await cli(
      ['evaluate', '--checkpoint', 'ck', '--no-sub', 'data/no_sub.npy', '--spherical', 'data/spherical.npy', '--vortex', 'data/vortex.npy', '--report', 'rep', '--backend', 'wasm'],
      dir,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('images: no_sub 12, spherical 12, vortex 12 (onnxruntime-node, ck/model.onnx); main score mse');
    expect(r.stdout).toMatch(/other scores, pooled AUC \/ TPR at 1%: chi2 [01]\.\d{3} \/ [01]\.\d{3}, psf/);
    expect(r.stdout).toMatch(/ROC AUC pooled +[01]\.\d{3}/);
    expect(r.stdout).toMatch(/W1 no_sub +\d+\.\d{3}/);
    for (const f of ['report.json', 'report.md', 'roc.png', 'scores.png', 'no_sub_recon.npy', 'spherical_recon.npy', 'vortex_recon.npy']) {
      expect(existsSync(join(dir, 'rep', f)), f).toBe(true);
    }
    const json = JSON.parse(readFileSync(join(dir, 'rep', 'report.json'), 'utf8')) as { counts: Record<string, number>; classes: Record<string, { file: string }> };
    expect(json.counts).toEqual({ no_sub: 12, spherical: 12, vortex: 12 });
    expect(json.classes.no_sub!.file).toBe('data/no_sub.npy');
  });

  it('reports every model of a parent folder and compares them in one table and one ROC picture', async () => {
    const r = await cli(['evaluate', '--checkpoint', 'two', '--no-sub', 'data/no_sub.npy', '--spherical', 'data/spherical.npy', '--vortex', 'data/vortex.npy', '--report', 'cmp', '--backend', 'wasm'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^== dcae\nimages: no_sub 12/);
    expect(r.stdout).toMatch(/\n== rbm\nimages: no_sub 12/);
    expect(r.stdout).toContain('== comparison: cmp/comparison.md, cmp/comparison.json, cmp/roc.png');
    for (const f of ['dcae/report.json', 'rbm/report.json', 'comparison.md', 'comparison.json', 'roc.png']) expect(existsSync(join(dir, 'cmp', f)), f).toBe(true);
    const cmp = JSON.parse(readFileSync(join(dir, 'cmp', 'comparison.json'), 'utf8')) as { preset: string; rows: { model: string; aucPooled: number; epochs: number; referenceAuc: number }[] };
    expect(cmp.preset).toBe('model-a'); // from the simulator's manifest beside no_sub.npy
    expect(cmp.rows.map((x) => [x.model, x.epochs, x.referenceAuc])).toEqual([
      ['dcae', 1, 0.73],
      ['rbm', 1, 0.515],
    ]);
    const dcae = JSON.parse(readFileSync(join(dir, 'cmp', 'dcae', 'report.json'), 'utf8')) as { metrics: { aucPooled: number } };
    expect(cmp.rows[0]!.aucPooled).toBe(dcae.metrics.aucPooled);
    const md = readFileSync(join(dir, 'cmp', 'comparison.md'), 'utf8');
    expect(md).toContain(`| rbm | mse | 1 | ${cmp.rows[1]!.aucPooled.toFixed(3)} |`);
    // Every score of every model in one table.
    expect(md).toMatch(/\| model \| mse \| chi2 \| psf \| mf \| mf2 \| sharp \|/);
  });

  it('exports every model to ONNX; onnxruntime scores the images as evaluate does', async () => {
    const x = await cli(['export', '--checkpoint', 'two', '--out', 'onnx', '--residual', '--backend', 'wasm'], dir);
    expect(x.code, x.stderr).toBe(0);
    expect(x.stdout).toMatch(/^dcae: onnx\/dcae\.onnx \(\d+\.\d\d MB, PSF sigma 1\.00 px\)\nrbm: onnx\/rbm\.onnx \(\d+\.\d\d MB, PSF sigma 1\.00 px\)\n$/);
    const e = await cli(['evaluate', '--data', 'data/vortex.npy', '--checkpoint', 'two/rbm', '--scores', 'rbm-scores.json', '--backend', 'wasm'], dir);
    expect(e.code, e.stderr).toBe(0);
    const want = (JSON.parse(readFileSync(join(dir, 'rbm-scores.json'), 'utf8')) as { scores: Record<string, number[]> }).scores;
    // The raw graph on the images (a flat noise model): its MSE output is evaluate's mse.
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(join(dir, 'onnx', 'rbm.onnx'));
    const images = readNpy(new Uint8Array(readFileSync(join(dir, 'data', 'vortex.npy'))));
    const n = images.count;
    const out = await session.run({
      input: new ort.Tensor('float32', images.data, [n, 1, 64, 64]),
      variance: new ort.Tensor('float32', new Float32Array(n * 4096).fill(1e-4), [n, 1, 64, 64]),
      noise: new ort.Tensor('float32', new Float32Array(n * 2), [n, 2]),
    });
    expect(Object.keys(out).sort()).toEqual(['reconstruction', 'residual', 'score', 'score_chi2', 'score_mf', 'score_mf2', 'score_psf', 'score_sharp']);
    const got = out.score!.data as Float32Array;
    for (let i = 0; i < n; i++) expect(Math.abs(got[i]! - want.mse![i]!) / want.mse![i]!).toBeLessThan(1e-5);
    // evaluate reads the .onnx file itself and gives the same scores, every one of them.
    const viaOnnx = await cli(['evaluate', '--data', 'data/vortex.npy', '--checkpoint', 'onnx/rbm.onnx', '--scores', 'onnx-scores.json'], dir);
    expect(viaOnnx.stdout).toMatch(/^12 images, mean mse .* \(onnxruntime-node, onnx\/rbm\.onnx\)/);
    const fromOnnx = (JSON.parse(readFileSync(join(dir, 'onnx-scores.json'), 'utf8')) as { scores: Record<string, number[]> }).scores;
    for (const name of Object.keys(want)) for (let i = 0; i < n; i++) expect(Math.abs(fromOnnx[name]![i]! - want[name]![i]!), name).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[name]![i]!)));
    const one = await cli(['export', '--checkpoint', 'ck', '--fp16', '--backend', 'wasm'], dir);
    expect(one.stdout).toMatch(/^dcae: ck\/model\.fp16\.onnx /);
    expect(existsSync(join(dir, 'ck', 'model.fp16.onnx'))).toBe(true);
    const bad = await cli(['export', '--checkpoint', 'nowhere'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^darklens: nowhere holds no checkpoint/m);
  });

  it('rejects inconsistent option sets with exit code 2', async () => {
    for (const args of [
      ['evaluate', '--checkpoint', 'ck'],
      ['evaluate', '--checkpoint', 'ck', '--vortex', 'data/vortex.npy', '--report', 'x'],
      ['evaluate', '--checkpoint', 'ck', '--no-sub', 'data/no_sub.npy'],
      ['evaluate', '--checkpoint', 'ck', '--no-sub', 'data/no_sub.npy', '--report', 'x', '--data', 'data/no_sub.npy'],
    ]) {
      const r = await cli(args, dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^darklens: /m);
    }
  });
});
