/**
 * `darklens calibrate`, driven through the command object itself (calibrateCommand().parseAsync),
 * on a tiny model: 1 epoch of a DCAE on 24 no_sub 64x64 images, calibrated on 16 held-out ones.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isDarklensError, parseModelCalibration, scoreFile } from '@darklens/core';
import { resolveSpec, simulateToFiles, train } from '@darklens/training';
import { calibrateCommand } from './calibrate.js';

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'darklens-cli-calibrate-'));
  const spec = resolveSpec('model-a');
  await simulateToFiles({ spec, klass: 'no_sub', count: 24, seed: 3, outDir: dir, name: 'train', threads: 0 });
  await simulateToFiles({ spec, klass: 'no_sub', count: 16, seed: 4, outDir: dir, name: 'heldout', threads: 0 });
  await train({ dataPath: join(dir, 'train.npy'), checkpointDir: join(dir, 'ck'), epochs: 1, batchSize: 8, seed: 0, backend: 'wasm', log: () => undefined });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command with commander's exits and output captured. */
async function run(args: string[]): Promise<{ error: unknown; out: string; err: string }> {
  let out = '';
  let err = '';
  const cmd = calibrateCommand()
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  try {
    await cmd.parseAsync(args, { from: 'user' });
    return { error: undefined, out, err };
  } catch (error) {
    return { error, out, err };
  } finally {
    write.mockRestore();
  }
}

describe('darklens calibrate', () => {
  it('documents its options with an example', async () => {
    const r = await run(['--help']);
    expect(r.error).toBeInstanceOf(CommanderError);
    expect((r.error as CommanderError).code).toBe('commander.helpDisplayed');
    for (const o of ['--checkpoint', '--data', '--fpr', '--k', '--manual', '--anomalies', '--metric', '--default', '--seed', '--resamples', '--out', '--backend', '--pixel-scale', '--max-images', 'held-out']) {
      expect(r.out).toContain(o);
    }
    expect(r.out).toContain('darklens calibrate --checkpoint');
  });

  it('rejects bad input', async () => {
    const missing = await run(['--data', 'heldout.npy']);
    expect(missing.error).toBeInstanceOf(CommanderError);
    expect((missing.error as CommanderError).code).toBe('commander.missingMandatoryOptionValue');
    expect(missing.err).toContain('--checkpoint');

    const badFpr = await run(['--checkpoint', join(dir, 'ck'), '--data', join(dir, 'heldout.npy'), '--fpr', '0.01,abc']);
    expect(isDarklensError(badFpr.error) && badFpr.error.code).toBe('invalid_argument');

    const metricAlone = await run(['--checkpoint', join(dir, 'ck'), '--data', join(dir, 'heldout.npy'), '--metric', 'f1']);
    expect(isDarklensError(metricAlone.error) && metricAlone.error.message).toMatch(/--anomalies/);

    const trainingSet = await run(['--checkpoint', join(dir, 'ck'), '--data', join(dir, 'train.npy'), '--backend', 'wasm']);
    expect(isDarklensError(trainingSet.error) && trainingSet.error.message).toMatch(/held-out/);
    expect(existsSync(join(dir, 'ck', 'calibration.json'))).toBe(false);
  });

  it('calibrates and prints the thresholds', async () => {
    const out = join(dir, 'cal', 'calibration.json');
    const r = await run(['--checkpoint', join(dir, 'ck'), '--data', join(dir, 'heldout.npy'), '--fpr', '0.05,0.1', '--k', '2', '--manual', '0.02', '--resamples', '50', '--seed', '3', '--backend', 'wasm', '--out', out]);
    expect(r.error).toBeUndefined();
    const all = parseModelCalibration(JSON.parse(readFileSync(out, 'utf8')));
    expect(all.defaultScore).toBe('mse');
    const file = scoreFile(all, 'mse');
    expect(file.calibration.count).toBe(16);
    expect(file.thresholds.items.map((t) => t.name)).toEqual(['fpr-0.05', 'fpr-0.1', 'mean+2sigma', 'manual']);
    expect(r.out).toMatch(/^\nmse \(default score\): 16 held-out images of heldout.npy/);
    expect(r.out).toMatch(/name\s+value\s+method\s+fpr\s+CI \(95%\)/);
    expect(r.out).toMatch(/fpr-0.05 \*\s+\S+\s+quantile\s+0.05\s+\[/);
    expect(r.out).toMatch(/manual\s+0.0200000\s+manual\s+-\s+-/);
    expect(r.out).toContain(`calibration ${out}`);
  }, 60_000);
});
