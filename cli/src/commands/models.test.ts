/**
 * `darklens models` end to end through the BUILT CLI: train a tiny RBM, calibrate and evaluate it,
 * register it twice, promote, roll back, verify, and refuse a tampered file.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRegistry } from '@darklens/core';
import { expectBadInput, expectOk, requireBuiltCli, runCli } from '../../../test/helpers/cli.js';

let dir: string;
const cli = (...args: string[]) => runCli(args, dir);

beforeAll(async () => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'darklens-models-'));
  for (const args of [
    ['simulate', '-c', 'all', '-n', '12', '-s', '3', '-j', '0', '-q', '-o', 'data'],
    ['simulate', '-c', 'no_sub', '-n', '24', '-s', '4', '-j', '0', '-q', '-o', 'train'],
    ['train', '-d', 'train/no_sub.npy', '-m', 'rbm', '-e', '1', '-q', '-o', 'ck/rbm', '--backend', 'wasm'],
    ['calibrate', '--checkpoint', 'ck/rbm', '--data', 'data/no_sub.npy', '--backend', 'wasm'],
    ['evaluate', '-c', 'ck/rbm', '--no-sub', 'data/no_sub.npy', '--spherical', 'data/spherical.npy', '--vortex', 'data/vortex.npy', '--report', 'rep/rbm', '--backend', 'wasm'],
  ]) {
    expectOk(await cli(...args));
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('darklens models', () => {
  it('writes a model set under other names, with guard ranges from its smooth lenses, and measures the guard', async () => {
    expectOk(await cli('simulate', '-c', 'no_sub', '-n', '1000', '-s', '5', '-j', '0', '-q', '-o', 'guard'));
    expectOk(await cli('models', 'add', '-c', 'ck/rbm', '-r', 'sets', '--name', 'wide-rbm', '--backend', 'wasm'));
    const set = await cli('models', 'set', 'wide', '-r', 'sets', '--models', 'rbm=wide-rbm', '--pixel-scale', '0.1', '--psf-fwhm', '0.7', '--snr', '10:30', '--alias', 'Ground', '--guard-data', 'guard/no_sub.npy', '-q');
    expectOk(set);
    expect(set.stdout).toMatch(/^set wide: rbm=wide-rbm\n {2}guard radius: \[[\d.]+, [\d.]+\]\n {2}guard sharpness: .*\n {2}guard noise: .*\n {2}guard relativeWidth: .*\n$/);
    const reg = parseRegistry(readFileSync(join(dir, 'sets', 'registry.json'), 'utf8'));
    expect(reg.defaultSet).toBe('wide');
    expect(reg.sets!.wide).toMatchObject({ models: { rbm: 'wide-rbm' }, aliases: ['ground'], domain: { pixelScale: 0.1, psfFwhm: 0.7, snr: [10, 30], guard: { images: 1000 } } });
    expect((await cli('models', 'list', '-r', 'sets')).stdout).toMatch(/\nwide \(default\)\t-\t0.1"\t0.7"\t1000 lenses\trbm=wide-rbm\t-\n$/);
    expectBadInput(await cli('models', 'set', 'x', '-r', 'sets', '--models', 'rbm=wide-rbm', '--pixel-scale', '0.2', '--psf-fwhm', '0.7'), /--pixel-scale 0.2 differs from its models' 0.1/);
    expectBadInput(await cli('models', 'set', 'x', '-r', 'sets', '--models', 'rbm', '--pixel-scale', '0.1', '--psf-fwhm', '0.7'), /name=registered-name pairs/);
    expectBadInput(await cli('models', 'set', 'x', '-r', 'sets', '--models', 'rbm=wide-rbm', '--pixel-scale', '0.1', '--psf-fwhm', '0.7', '--guard-data', 'data/no_sub.npy'), /at least 1000/);

    // Its own lenses pass the guard; stated 0.2"/px, every one fails it.
    expectOk(await cli('models', 'guard', '-r', 'sets', '--data', 'guard/no_sub.npy', '--count', '200', '--json', 'own.json', '-q'));
    const own = JSON.parse(readFileSync(join(dir, 'own.json'), 'utf8')) as { scored: number; outOfDomain: number; bySet: Record<string, number> };
    expect(own.scored).toBe(200);
    expect(own.bySet).toEqual({ wide: 200 });
    expect(own.outOfDomain).toBeLessThanOrEqual(2);
    const coarse = await cli('models', 'guard', '-r', 'sets', '--data', 'guard/no_sub.npy', '--count', '200', '--pixel-scale', '0.2', '--json', 'coarse.json', '-q');
    expectOk(coarse);
    expect(coarse.stdout).toMatch(/out of domain: 200 \(100.00%\); by check: pixel-scale 200 \(100.00%\)/);
    expect(JSON.parse(readFileSync(join(dir, 'coarse.json'), 'utf8'))).toMatchObject({ pixelScale: 0.2, outOfDomain: 200, rate: 1 });
  }, 120_000);

  it('registers versions with their files, sha256 and card; promotes and rolls back', async () => {
    const a = await cli('models', 'add', '-c', 'ck/rbm', '--report', 'rep/rbm', '-r', 'reg', '--backend', 'wasm');
    expectOk(a);
    expect(a.stdout).toBe('rbm v1 registered in reg/rbm/v1 (default)\n');
    // A float16 version is registered with the calibration of its own file: adding it before is refused.
    expectBadInput(await cli('models', 'add', '-c', 'ck/rbm', '-r', 'reg', '--fp16'), /model\.fp16\.onnx not found; run darklens calibrate --checkpoint ck\/rbm --fp16/);
    expectOk(await cli('calibrate', '--checkpoint', 'ck/rbm', '--data', 'data/no_sub.npy', '--fp16', '--backend', 'wasm'));
    expectOk(await cli('models', 'add', '-c', 'ck/rbm', '-r', 'reg', '--fp16', '--backend', 'wasm'));
    const reg = parseRegistry(readFileSync(join(dir, 'reg', 'registry.json'), 'utf8'));
    const v1 = reg.models.rbm!.versions.v1!;
    expect(Object.keys(v1.files).sort()).toEqual(['calibration.json', 'card.md', 'loss.png', 'model.onnx', 'roc.png', 'scores.png']);
    expect(reg.models.rbm!.versions.v2!.onnx.file).toBe('model.fp16.onnx');
    expect(v1.input).toMatchObject({ width: 64, height: 64, pixelScale: 0.1, normalization: 'minmax' });
    expect(v1.training).toMatchObject({ preset: 'model-a', epochs: 1, seed: 0, backend: 'wasm' });
    expect(Number(v1.training.trainImages) + Number(v1.training.validationImages)).toBe(24);
    const report = JSON.parse(readFileSync(join(dir, 'rep', 'rbm', 'report.json'), 'utf8')) as { metrics: { aucPooled: number } };
    expect(v1.metrics.aucPooled).toBe(report.metrics.aucPooled);
    const card = readFileSync(join(dir, 'reg', 'rbm', 'v1', 'card.md'), 'utf8');
    expect(card).toContain('# darklens rbm v1');
    expect(card).toContain(`| ${report.metrics.aucPooled.toFixed(3)} |`);
    expect(card).toContain('![ROC curves](roc.png)');
    expect(card).toMatch(/## Intended use[\s\S]*Not for:/);

    const list = await cli('models', 'list', '-r', 'reg');
    expect(list.stdout).toMatch(/^model\tdefault\tversions\tAUC pooled\tonnx MB\nrbm\tv1\tv1,v2\t\d\.\d{3}\t\d+\.\d\d\n\nset\t.*\ndefault \(default\)\t-\t0.1"\t0.235"\tnone\trbm\t-\n$/);
    expect((await cli('models', 'promote', 'rbm', 'v2', '-r', 'reg')).stdout).toBe('rbm: default is now v2\n');
    const shown = JSON.parse((await cli('models', 'show', 'rbm', '-r', 'reg')).stdout) as { version: string; default: string };
    expect(shown).toMatchObject({ version: 'v2', default: 'v2' });
    expect((await cli('models', 'rollback', 'rbm', '-r', 'reg')).stdout).toBe('rbm: default v2 -> v1\n');
    expectBadInput(await cli('models', 'rollback', 'rbm', '-r', 'reg'), /no earlier default/);
    expect((await cli('models', 'verify', '-r', 'reg')).stdout).toBe('reg: every registered file matches its sha256\n');
  });

  it('refuses tampered files, unknown models and versions, and checkpoints without calibration', async () => {
    appendFileSync(join(dir, 'reg', 'rbm', 'v1', 'calibration.json'), ' ');
    expectBadInput(await cli('models', 'verify', '-r', 'reg'), /calibration\.json: \d+ bytes, the registry says \d+; refusing/);
    expectBadInput(await cli('models', 'show', 'gan', '-r', 'reg'), /no model "gan"; available: rbm/);
    expectBadInput(await cli('models', 'promote', 'rbm', 'v9', '-r', 'reg'), /no version "v9"/);
    expectBadInput(await cli('models', 'add', '-c', 'ck/rbm', '-r', 'reg', '--new-version', 'v1'), /already has a version v1; pick another --new-version/);
    expectOk(await cli('train', '-d', 'train/no_sub.npy', '-m', 'rbm', '-e', '1', '-q', '-o', 'ck/raw', '--backend', 'wasm'));
    expectBadInput(await cli('models', 'add', '-c', 'ck/raw', '-r', 'reg'), /no calibration\.json; run darklens calibrate/);
    expect(existsSync(join(dir, 'reg', 'rbm', 'v3'))).toBe(false);
    expectBadInput(await cli('models', 'frobnicate'));
  });
});
