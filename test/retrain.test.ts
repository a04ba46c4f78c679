/**
 * `darklens retrain` end to end on the built CLI, with tiny budgets: stopped mid-training and resumed,
 * a candidate that fails the gate (not served), a dry run that leaves the registry untouched, --force
 * promoting it on a running server, a rollback the server follows, and own data gated on its held-out
 * false-positive rate. The shipped registry is staged by hard links into a temp folder.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageRegistry } from '../cli/src/retrain/staged-registry.js';
import { BIN, expectOk, requireBuiltCli, ROOT, runCli } from './helpers/cli.js';
import { startServerProcess, type ServerProcess } from './helpers/server.js';

const tmp = mkdtempSync(join(tmpdir(), 'darklens-retrain-'));
const registry = join(tmp, 'models');
const TINY = ['--epochs', '2', '--train-images', '320', '--calib-images', '300', '--benchmark-images', '60', '--registry', registry, '--benchmark-dir', join(tmp, 'bench'), '-q'];
const work = join(tmp, 'work');
const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const defaultOf = (model: string): string => (JSON.parse(readFileSync(join(registry, 'registry.json'), 'utf8')) as { models: Record<string, { default: string }> }).models[model]!.default;

/** Runs the CLI until its stderr shows `marker`, then sends SIGINT; resolves with the exit code and stderr. */
function interruptAt(args: string[], marker: RegExp): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sent = false;
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && marker.test(stderr)) {
        sent = true;
        p.kill('SIGINT');
      }
    });
    p.on('exit', (code) => resolve({ code, stderr }));
  });
}

let server: ServerProcess | undefined;

beforeAll(async () => {
  requireBuiltCli();
  await stageRegistry(join(ROOT, 'models'), registry);
});
afterAll(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('darklens retrain', () => {
  it('resumes after Ctrl-C, and keeps a candidate that fails the gate registered but not served', async () => {
    const args = ['retrain', 'dcae', '--preset', 'model-b', '--workdir', work, ...TINY];
    const stopped = await interruptAt(args, /\[3\/10\] train/);
    expect(stopped.code).toBe(130);
    const r = await runCli(args, tmp, 240_000);
    // Data and benchmark were finished before the interruption: not made again.
    expect(r.stderr).toMatch(/\[1\/10\] simulate 320 training .*: done earlier/);
    expect(r.stderr).toMatch(/\[2\/10\] benchmark set: 60 lenses per class of model-b .*: done earlier/);
    expect(r.stderr).toMatch(/\[3\/10\] train dcae for 2 epochs .*\n/);
    // Two epochs on 320 lenses cannot match the shipped dcae: the gate fails, exit code 3.
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/# Gate: dcae v3: FAILED/);
    expect(r.stdout).toMatch(/against the current default v2 \(score psf\) on 60 simulated lenses per class of preset model-b/);
    expect(r.stderr).toMatch(/dcae v3 failed the gate and was not promoted/);
    expect(defaultOf('dcae')).toBe('v2');
    const gate = JSON.parse(readFileSync(join(work, 'gate.json'), 'utf8')) as { verdict: { passed: boolean }; baseline: { version: string; metrics: { aucPooled: number } } };
    expect(gate.verdict.passed).toBe(false);
    expect(gate.baseline.version).toBe('v2');
    // The current default's numbers are recorded beside the benchmark set, for the next retrain.
    const recorded = JSON.parse(readFileSync(join(tmp, 'bench', 'model-b-60', 'baselines', 'dcae@v2.psf.json'), 'utf8')) as { metrics: { aucPooled: number } };
    expect(recorded.metrics.aucPooled).toBe(gate.baseline.metrics.aucPooled);
  }, 400_000);

  it('prints what --force would do in a dry run and leaves the registry untouched', async () => {
    const before = sha(join(registry, 'registry.json'));
    const r = await runCli(['retrain', 'dcae', '--preset', 'model-b', '--workdir', work, ...TINY, '--force', '--dry-run'], tmp, 120_000);
    expectOk(r);
    expect(r.stderr).toMatch(/\[3\/10\] train dcae .*: done earlier/);
    // The registry folder is the target, and v3 is registered there already (not served): only
    // registry.json, with v3 the default, would change.
    expect(r.stdout).toMatch(/^skip dcae\/v3\/model\.onnx /m);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('PUT '))).toEqual([expect.stringMatching(/^PUT {2}registry\.json .*last/)]);
    expect(r.stderr).toMatch(/dry run: dcae v3 would become the default; .* is unchanged/);
    expect(sha(join(registry, 'registry.json'))).toBe(before);
  }, 200_000);

  it('prints, for --target aws and cloudflare, every upload with registry.json last, and changes nothing', async () => {
    const before = sha(join(registry, 'registry.json'));
    // No credentials or account: a dry run cannot read the target and lists every file as an upload.
    const noCredentials = { AWS_EC2_METADATA_DISABLED: 'true', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', R2_ACCESS_KEY_ID: '', R2_SECRET_ACCESS_KEY: '', CLOUDFLARE_ACCOUNT_ID: '' };
    for (const target of [['--target', 'aws', '--bucket', 'my-stack-models'], ['--target', 'cloudflare']]) {
      const r = await runCli(['retrain', 'dcae', '--preset', 'model-b', '--workdir', work, ...TINY, '--force', '--dry-run', ...target], tmp, 120_000, noCredentials);
      expectOk(r);
      const puts = r.stdout.split('\n').filter((l) => l.startsWith('PUT '));
      expect(puts.filter((l) => /^PUT {2}dcae\/v3\/(model\.onnx|calibration\.json|card\.md) /.test(l))).toHaveLength(3);
      expect(puts.at(-1)).toMatch(/^PUT {2}registry\.json .*last: once every file it names is there/);
      expect(r.stdout).toMatch(/dry run: nothing was uploaded/);
    }
    expect(sha(join(registry, 'registry.json'))).toBe(before);
  }, 200_000);

  it('promotes with --force on a running server, which serves it, and rolls back', async () => {
    server = await startServerProcess(['--models', registry]);
    const served = async (): Promise<string> => ((await (await fetch(`${server!.url}/v1/models/dcae`)).json()) as { version: string }).version;
    expect(await served()).toBe('v2');
    const r = await runCli(['retrain', 'dcae', '--preset', 'model-b', '--workdir', work, ...TINY, '--force'], tmp, 120_000);
    expectOk(r);
    expect(r.stdout).toMatch(/FAILED \(promoted anyway: --force\)/);
    expect(defaultOf('dcae')).toBe('v3');
    await expect.poll(served, { timeout: 20_000, interval: 200 }).toBe('v3');
    expectOk(await runCli(['models', 'rollback', 'dcae', '--registry', registry], tmp));
    await expect.poll(served, { timeout: 20_000, interval: 200 }).toBe('v2');
  }, 200_000);

  it('gates a model of the user\'s own smooth cutouts on its held-out false-positive rate', async () => {
    const own = join(tmp, 'own');
    expectOk(await runCli(['simulate', '--preset', 'model-a', '--class', 'no_sub', '--count', '1000', '--seed', '77', '--out', own, '-q'], tmp));
    // The benchmark set and the current default's numbers on it are the first test's: reused, not made again.
    const recorded = join(tmp, 'bench', 'model-b-60', 'baselines', 'dcae@v2.psf.json');
    const recordedAt = statSync(recorded).mtimeMs;
    const r = await runCli(['retrain', 'dcae', '--data', own, '--preset', 'model-b', '--workdir', join(tmp, 'work-own'), ...TINY, '--dry-run'], tmp, 240_000);
    expect([0, 3]).toContain(r.code);
    expect(r.stderr).toMatch(/split .* into training, calibration and held-out cutouts/);
    expect(r.stdout).toMatch(/\| held-out false-positive rate \| (pass|FAIL) \| [\d.]+% of 100 held-out smooth cutouts flagged at the fpr-0.01 threshold/);
    expect(r.stderr).toMatch(/\[6\/10\] the current default of dcae on the same benchmark set\n/);
    expect(r.stdout).toMatch(/preset model-b/);
    expect(statSync(recorded).mtimeMs).toBe(recordedAt);
    expect(r.stdout).toMatch(/no labelled anomalies/);
  }, 400_000);
});
