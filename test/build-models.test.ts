/**
 * The documented command that rebuilds the shipped models (`npm run build-models`), end to end on a
 * tiny data set: every step runs, the registry verifies, and a rerun skips what is finished.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRegistry } from '@darklens/core';
import { requireBuiltCli, ROOT, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'darklens-build-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'scripts', 'build-models.mjs'), '--train', '40', '--test', '8', '--val', '8', '--calib', '8', '--epochs', '1', '--jobs', '2', '--workdir', dir], { timeout: 300_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

describe('npm run build-models', () => {
  it('simulates, trains, calibrates, evaluates and registers all four models; a rerun skips finished steps', async () => {
    requireBuiltCli();
    const first = await build();
    expect(first.code, first.out).toBe(0);
    for (const step of ['splits', 'simulate', 'train', 'calibrate', 'evaluate', 'models add', 'models ensemble', 'models set', 'models list']) expect(first.out).toContain(`$ darklens ${step}`);
    expect(first.out).toContain('--mass-conserving');
    const reg = parseRegistry(readFileSync(join(dir, 'models', 'registry.json'), 'utf8'));
    expect(Object.keys(reg.models)).toEqual(['dcae', 'vae', 'aae', 'rbm']);
    for (const m of Object.values(reg.models)) {
      expect(m.default).toBe('v1');
      expect(m.versions.v1!.training).toMatchObject({ preset: 'model-a', seed: 0 });
      expect(typeof m.versions.v1!.metrics.aucPooled).toBe('number');
    }
    expect(existsSync(join(dir, 'reports', 'model-a', 'comparison.md'))).toBe(true);
    expect(existsSync(join(dir, 'reports', 'model-a-mc', 'comparison.md'))).toBe(true);
    // Each model's default score is the one that measured best on the validation sets.
    for (const m of Object.keys(reg.models)) {
      const val = JSON.parse(readFileSync(join(dir, 'reports', 'model-a', 'validation', m, 'report.json'), 'utf8')) as { metricsByScore: Record<string, { aucPooled: number }> };
      const cal = JSON.parse(readFileSync(join(dir, 'models', m, 'v1', 'calibration.json'), 'utf8')) as { defaultScore: string };
      const best = Math.max(...Object.values(val.metricsByScore).map((x) => x.aucPooled));
      expect(val.metricsByScore[cal.defaultScore]!.aucPooled).toBe(best);
    }
    // The default ensemble, chosen on the validation sets, at least as good there as its best member.
    expect(reg.defaultEnsemble).toBe('default');
    const v = reg.ensembles!.default!.metrics as { validation: { aucPooled: number }; bestMember: { aucPooled: number }; test: { ensemble: unknown } };
    expect(v.validation.aucPooled).toBeGreaterThanOrEqual(v.bestMember.aucPooled);
    expect(v.test.ensemble).toBeDefined();
    expect(Object.keys(reg.ensembles!)).toEqual(['default', 'arc-shape']);
    // The model-a set: its models by role, the data's domain; 8 calibration lenses are too few for guard ranges.
    expect(reg.defaultSet).toBe('model-a');
    expect(reg.sets!['model-a']).toMatchObject({ models: { dcae: 'dcae', vae: 'vae', aae: 'aae', rbm: 'rbm' }, defaultEnsemble: 'default', domain: { pixelScale: 0.1, preset: 'model-a', survey: 'HST-like', snr: 20 }, aliases: ['hst'] });
    expect(reg.sets!['model-a']!.domain.psfFwhm).toBeCloseTo(0.2355, 4);
    expect(reg.sets!['model-a']!.domain.guard).toBeUndefined();
    const verify = await runCli(['models', 'verify', '--registry', 'models'], dir);
    expect(verify.stdout).toContain('every registered file matches its sha256');

    const again = await build();
    expect(again.code, again.out).toBe(0);
    for (const step of ['splits', 'train', 'calibrate', 'evaluate', 'models add', 'models ensemble']) expect(again.out).not.toContain(`$ darklens ${step}`);
  }, 600_000);
});
