/**
 * `darklens ceiling` through the BUILT CLI (`node cli/bin/darklens.js`); `npm test` builds first,
 * when running vitest directly run `npx tsc -b` beforehand. Tiny 16x16 sets: this checks the
 * command's wiring, files and errors; training/src/supervised/ceiling.test.ts checks what the classifier learns.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '@darklens/core';
import { expectBadInput, expectOk, requireBuiltCli, runCli } from '../../../test/helpers/cli.js';

let dir: string;

/** `count` size x size images: a ramp, with a bright pixel in the substructure classes. */
function npy(name: string, count: number, size: number, bright: boolean): void {
  const px = size * size;
  const data = new Float32Array(count * px);
  for (let n = 0; n < count; n++) {
    for (let k = 0; k < px; k++) data[n * px + k] = (k % size) / size + 0.01 * ((n * 7 + k) % 5);
    if (bright) data[n * px + ((n * 13) % px)] = 3;
  }
  writeFileSync(join(dir, name), writeNpy(data, [count, 1, size, size]));
}

const SETS = ['--no-sub', 'n.npy', '--spherical', 's.npy', '--vortex', 'v.npy', '--test-no-sub', 'tn.npy', '--test-spherical', 'ts.npy', '--test-vortex', 'tv.npy'];
/** The six sets with one replaced. */
const sets = (flag: string, path: string): string[] => SETS.map((v, i) => (i > 0 && SETS[i - 1] === flag ? path : v));

beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'darklens-cli-ceiling-'));
  npy('n.npy', 12, 16, false);
  npy('s.npy', 8, 16, true);
  npy('v.npy', 8, 16, true);
  npy('tn.npy', 10, 16, false);
  npy('ts.npy', 6, 16, true);
  npy('tv.npy', 6, 16, true);
  npy('big.npy', 4, 24, true);
  npy('odd.npy', 4, 12, true);
  writeFileSync(join(dir, 'empty.npy'), writeNpy(new Float32Array(0), [0, 1, 16, 16]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('darklens ceiling', () => {
  it('documents every option and what the ceiling is', async () => {
    const r = await runCli(['ceiling', '--help'], dir);
    expectOk(r);
    for (const o of ['--no-sub', '--spherical', '--vortex', '--test-no-sub', '--test-spherical', '--test-vortex', '--epochs', '--batch-size', '--lr', '--seed', '--val-fraction', '--backend', '--out', '--quiet']) {
      expect(r.stdout).toContain(o);
    }
    expect(r.stdout).toMatch(/\(default: 5\)/);
    expect(r.stdout).toMatch(/never exported nor served/);
    const top = await runCli(['--help'], dir);
    expect(top.stdout).toMatch(/^\s+ceiling \[options\]/m);
  });

  it('trains, measures and writes ceiling.json and ceiling.md', async () => {
    const r = await runCli(['ceiling', ...SETS, '--epochs', '2', '--batch-size', '8', '--seed', '3', '--val-fraction', '0.25', '--backend', 'wasm', '--out', 'rep'], dir);
    expectOk(r);
    expect(r.stdout).toMatch(/^supervised ceiling \(labelled upper reference, not a darklens model\): backend wasm; 2 epochs, measured at epoch [12]\n/);
    expect(r.stdout).toMatch(/^ROC AUC pooled {6}[01]\.\d{3}$/m);
    expect(r.stdout).toMatch(/^TPR at FPR<=5% {6}[01]\.\d{3}$/m);
    expect(r.stderr).toMatch(/ceiling .*100% 42\/42 .*epoch 2\/2 loss \S+ val \S+ auc [01]\.\d{3}/); // (9 + 6 + 6 training images) x 2 epochs
    const json = JSON.parse(readFileSync(join(dir, 'rep', 'ceiling.json'), 'utf8')) as Record<string, unknown> & {
      counts: Record<string, Record<string, number>>;
      metrics: Record<string, number>;
      history: unknown[];
    };
    expect(json.counts.train).toEqual({ no_sub: 9, spherical: 6, vortex: 6 });
    expect(json.counts.validation).toEqual({ no_sub: 3, spherical: 2, vortex: 2 });
    expect(json.counts.test).toEqual({ no_sub: 10, spherical: 6, vortex: 6 });
    expect([json.seed, json.epochs, json.backend, json.history.length]).toEqual([3, 2, 'wasm', 2]);
    for (const k of ['aucPooled', 'aucSpherical', 'aucVortex']) expect(json.metrics[k]).toBeGreaterThanOrEqual(0);
    expect(String(json.note)).toMatch(/labels/);
    const md = readFileSync(join(dir, 'rep', 'ceiling.md'), 'utf8');
    expect(md).toMatch(/^# Supervised ceiling/);
    expect(md).toMatch(/^\| TPR at FPR <= 1% \| [01]\.\d{3} /m);
  });

  it('prints one line per epoch with --quiet', async () => {
    const r = await runCli(['ceiling', ...SETS, '--epochs', '1', '--backend', 'wasm', '-q', '--out', 'quiet'], dir);
    expectOk(r);
    expect(r.stderr).toMatch(/^ceiling epoch 1\/1 loss \S+ val \S+ auc \S+$/m);
    expect(existsSync(join(dir, 'quiet', 'ceiling.md'))).toBe(true);
  });

  it('rejects missing files, mismatched or unsupported sizes and empty classes with exit code 2', async () => {
    expectBadInput(await runCli(['ceiling', ...sets('--test-vortex', 'nowhere.npy'), '--out', 'x'], dir), /--test-vortex nowhere\.npy: .*does not exist/);
    expectBadInput(await runCli(['ceiling', ...sets('--spherical', 'big.npy'), '--out', 'x'], dir), /24x24, but --no-sub images are 16x16/);
    expectBadInput(await runCli(['ceiling', ...sets('--no-sub', 'odd.npy'), '--out', 'x'], dir), /12x12.*multiple of 8/);
    expectBadInput(await runCli(['ceiling', ...sets('--test-spherical', 'empty.npy'), '--out', 'x'], dir), /--test-spherical empty\.npy: .*empty axis/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('rejects missing or bad options with exit code 2', async () => {
    expectBadInput(await runCli(['ceiling', ...SETS.slice(2), '--out', 'x'], dir), /--no-sub <path>/);
    expectBadInput(await runCli(['ceiling', ...SETS], dir), /--out/);
    expectBadInput(await runCli(['ceiling', ...SETS, '--val-fraction', '1', '--out', 'x'], dir), /validation fraction must be in \(0, 1\)/);
  });
});
