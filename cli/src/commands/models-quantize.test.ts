/**
 * `darklens models quantize` through the BUILT CLI, on a copy of the shipped RBM's registry entry:
 * writes model.int8.onnx beside the model without registering it, says which layers are int8, and
 * refuses a tampered model file and an unknown model.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBadInput, expectOk, requireBuiltCli, ROOT, runCli } from '../../../test/helpers/cli.js';

let dir: string;
let version: string;
const cli = (...args: string[]) => runCli(args, dir);

beforeAll(async () => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'darklens-quantize-cli-'));
  const registry = readFileSync(join(ROOT, 'models', 'registry.json'), 'utf8');
  version = (JSON.parse(registry) as { models: Record<string, { default: string }> }).models.rbm!.default;
  mkdirSync(join(dir, 'reg', 'rbm'), { recursive: true });
  writeFileSync(join(dir, 'reg', 'registry.json'), registry);
  cpSync(join(ROOT, 'models', 'rbm', version), join(dir, 'reg', 'rbm', version), { recursive: true });
  expectOk(await cli('simulate', '-c', 'no_sub', '-n', '48', '-s', '3', '-j', '0', '-q', '-o', 'data'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('darklens models quantize', () => {
  it('writes model.int8.onnx beside the model and registers nothing', async () => {
    const before = readFileSync(join(dir, 'reg', 'registry.json'), 'utf8');
    const r = await cli('models', 'quantize', 'rbm', '-r', 'reg', '--data', 'data/no_sub.npy', '-n', '32');
    expectOk(r);
    const file = join('reg', 'rbm', version, 'model.int8.onnx');
    expect(r.stdout).toMatch(new RegExp(`^rbm ${version}: ${file.replace(/\./g, '\\.')} \\([\\d.]+ MB, fp32 [\\d.]+ MB\\), calibrated on 32 lenses\\n  int8 layers: rbm_hidden_3, rbm_visible_5\\n`));
    expect(r.stdout).toMatch(/SNR dB: rbm_flatten_flat_2 \d+\.\d, rbm_hidden_sigmoid_4 \d+\.\d\n/);
    expect(r.stdout).toMatch(/\|int8 - fp32\| \/ fp32 median \/ max: mse [\d.e+-]+% \/ [\d.e+-]+%, chi2/);
    expect(existsSync(join(dir, file))).toBe(true);
    expect(readFileSync(join(dir, file)).length).toBeLessThan(readFileSync(join(dir, 'reg', 'rbm', version, 'model.onnx')).length / 3);
    expect(readFileSync(join(dir, 'reg', 'registry.json'), 'utf8')).toBe(before);
  }, 60_000);

  it('writes to --out, keeps layers named by --exclude in float32', async () => {
    const r = await cli('models', 'quantize', 'rbm', '-r', 'reg', '--data', 'data/no_sub.npy', '-n', '16', '--exclude', 'rbm_visible_5', '-o', 'out.onnx');
    expectOk(r);
    expect(r.stdout).toContain('  int8 layers: rbm_hidden_3\n  ');
    expect(r.stdout).toContain('float32 layers: rbm_visible_5 (excluded)');
    expect(existsSync(join(dir, 'out.onnx'))).toBe(true);
  }, 60_000);

  it('refuses an unknown model, a tampered file and a missing --data', async () => {
    expectBadInput(await cli('models', 'quantize', 'nope', '-r', 'reg', '--data', 'data/no_sub.npy'), /registry has no model "nope"/);
    expectBadInput(await cli('models', 'quantize', 'rbm', '-r', 'reg'), /--data/);
    const model = join(dir, 'reg', 'rbm', version, 'model.onnx');
    const bytes = readFileSync(model);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    writeFileSync(model, bytes);
    expectBadInput(await cli('models', 'quantize', 'rbm', '-r', 'reg', '--data', 'data/no_sub.npy', '-o', 'x.onnx'), /sha256/);
    expect(existsSync(join(dir, 'x.onnx'))).toBe(false);
  }, 60_000);
});
