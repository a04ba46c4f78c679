import { describe, expect, it } from 'vitest';
import { gateMarkdown, heldOutLimit, judge, type GateInput, type GateSide } from './gate.js';

const side = (version: string, aucPooled: number, tprAt1: number): GateSide => ({
  model: 'dcae',
  version,
  onnxSha256: version.repeat(32).slice(0, 64),
  metrics: { score: 'psf', aucPooled, tprAt1, images: { no_sub: 1000, spherical: 1000, vortex: 1000 } },
});
const input = (candidate: GateSide, baseline?: GateSide, heldOut?: GateInput['heldOut']): GateInput => ({
  candidate,
  ...(baseline ? { baseline } : {}),
  ...(heldOut ? { heldOut } : {}),
  benchmark: { preset: 'model-b', perClass: 1000, seed: 9_000_011 },
  tolerances: { auc: 0.005, tpr: 0.02 },
});

describe('the retrain gate', () => {
  it('passes a candidate within the tolerances and fails one just beyond either', () => {
    expect(judge(input(side('v3', 0.896, 0.31), side('v2', 0.9, 0.32))).passed).toBe(true);
    const auc = judge(input(side('v3', 0.894, 0.5), side('v2', 0.9, 0.32)));
    expect(auc.passed).toBe(false);
    expect(auc.checks.find((c) => c.name === 'pooled AUC')!.passed).toBe(false);
    expect(auc.checks.find((c) => c.name === 'TPR at 1% FPR')!.passed).toBe(true);
    const tpr = judge(input(side('v3', 0.95, 0.29), side('v2', 0.9, 0.32)));
    expect(tpr.passed).toBe(false);
    expect(tpr.checks.find((c) => c.name === 'TPR at 1% FPR')!.detail).toMatch(/0\.290 vs 0\.320 \(-0\.030/);
  });

  it('passes a first version, saying there was nothing to compare with', () => {
    const v = judge(input(side('v1', 0.6, 0.01)));
    expect(v.passed).toBe(true);
    expect(v.checks).toHaveLength(1);
    expect(v.checks[0]!.detail).toMatch(/no default version yet/);
  });

  it('holds own-data models to their held-out false-positive rate', () => {
    // 3 binomial sigmas above 1% of 500 cutouts: 0.01 + 3 * sqrt(0.0099 / 500) = 0.0233.
    expect(heldOutLimit({ nominal: 0.01, images: 500 })).toBeCloseTo(0.02335, 4);
    const ok = judge(input(side('v3', 0.9, 0.32), side('v2', 0.9, 0.32), { nominal: 0.01, observed: 0.02, images: 500 }));
    expect(ok.passed).toBe(true);
    expect(ok.basis).toMatch(/own smooth cutouts.*no labelled anomalies/);
    const bad = judge(input(side('v3', 0.9, 0.32), side('v2', 0.9, 0.32), { nominal: 0.01, observed: 0.04, images: 500 }));
    expect(bad.passed).toBe(false);
    expect(bad.checks.at(-1)!.name).toBe('held-out false-positive rate');
  });

  it('writes a report that names what was compared and why it failed', () => {
    const i = input(side('v3', 0.85, 0.2), side('v2', 0.9, 0.32));
    const md = gateMarkdown(i, judge(i), false);
    expect(md).toMatch(/^# Gate: dcae v3: FAILED\n/);
    expect(md).toMatch(/against the current default v2 .* 1000 simulated lenses per class of preset model-b/);
    expect(md).toMatch(/\| pooled AUC \| FAIL \| 0\.850 vs 0\.900/);
    expect(gateMarkdown(i, judge(i), true)).toMatch(/FAILED \(promoted anyway: --force\)/);
  });
});
