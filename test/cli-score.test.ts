/**
 * `darklens score` end to end: the BUILT CLI (its inference runs on worker threads, which load the
 * compiled worker script) scoring a folder of FITS, NPY, a broken file and an NPY stack into CSV and
 * JSONL, checked against the in-process service; then a few thousand cutouts killed part-way (SIGKILL,
 * then Ctrl-C) and resumed, to the bytes of an uninterrupted run. Build first: npx tsc -b.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '@darklens/core';
import { csvHeader, csvRow, type BatchLine, type ScoreResult } from '@darklens/functions';
import { BIN, expectBadInput, expectOk, requireBuiltCli, runCli } from './helpers/cli.js';
import { fitsOf, npyStack, post, shippedService, simulatedLenses, type TestService } from './helpers/service.js';

/** Cutouts of the resume test: enough steps (256 each) that a kill lands mid-run on a fast machine. */
const MANY = 3000;
const ROLES = ['dcae', 'vae', 'aae', 'rbm'];

const lenses = simulatedLenses('no_sub', 6, 21);
const fits = fitsOf(lenses[0]!);
const single = writeNpy(lenses[1]!.data, [64, 64]);
const broken = fits.slice(0, 2000);
const stack = npyStack(lenses.slice(2), 5);

let cwd: string;
let svc: TestService;
beforeAll(async () => {
  requireBuiltCli();
  cwd = mkdtempSync(join(tmpdir(), 'darklens-cli-score-'));
  mkdirSync(join(cwd, 'in'));
  writeFileSync(join(cwd, 'in', 'a.fits'), fits);
  writeFileSync(join(cwd, 'in', 'b.npy'), single);
  writeFileSync(join(cwd, 'in', 'broken.fits'), broken);
  writeFileSync(join(cwd, 'in', 'c-stack.npy'), stack);
  mkdirSync(join(cwd, 'many'));
  writeFileSync(join(cwd, 'many', 'stack.npy'), npyStack(lenses, MANY));
  svc = await shippedService();
});
afterAll(() => {
  svc?.store.close();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

const score = (args: string[], timeoutMs = 240_000) => runCli(['score', ...args], cwd, timeoutMs);
const jsonl = (file: string): BatchLine[] => readFileSync(join(cwd, file), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as BatchLine);

/** Scores per role, and the ensemble's p-value, of the service for a cutout. */
function expectSameScores(cli: BatchLine, service: ScoreResult): void {
  expect('error' in cli, JSON.stringify(cli).slice(0, 300)).toBe(false);
  const got = cli as ScoreResult;
  expect(Object.keys(got.models)).toEqual(Object.keys(service.models));
  for (const [role, s] of Object.entries(service.models)) {
    expect(Math.abs(got.models[role]!.loss - s.loss), `${role} loss`).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(got.models[role]!.pValue - s.pValue), `${role} p-value`).toBeLessThanOrEqual(1e-6);
  }
  expect(Math.abs(got.ensemble.pValue - service.ensemble.pValue)).toBeLessThanOrEqual(1e-6);
  expect(got.verdict).toBe(service.verdict);
}

describe('darklens score', () => {
  it('scores a folder into JSONL and CSV: service scores, a row for the broken file and a line on stderr', async () => {
    const [j, c] = [await score(['in', '--out', 'r.jsonl']), await score(['in', '--out', 'r.csv'])];
    expectOk(j);
    expectOk(c);
    const lines = jsonl('r.jsonl');
    expect(lines.map((l) => [l.index, l.name])).toEqual([
      [0, 'in/a.fits'],
      [1, 'in/b.npy'],
      [2, 'in/broken.fits'],
      ...Array.from({ length: 5 }, (_, i) => [3 + i, `in/c-stack.npy[${i}]`]),
    ]);
    expect(lines[2]).toEqual({ index: 2, name: 'in/broken.fits', error: { code: 'truncated', message: expect.any(String) as string } });
    for (const r of [j, c]) {
      expect(r.stderr).toMatch(/^darklens: in\/broken\.fits: truncated: /m);
      expect(r.stderr).toMatch(/8 of 8 cutouts in r\.(csv|jsonl): 7 scored, 1 failed/);
      expect(r.stderr).toMatch(/^ {4}truncated: 1 \(first: in\/broken\.fits: /m);
    }
    // The CSV holds the same lines, as the shared rows module writes them.
    expect(readFileSync(join(cwd, 'r.csv'), 'utf8')).toBe(csvHeader(ROLES) + lines.map((l) => csvRow(l, ROLES)).join(''));
    expect(existsSync(join(cwd, 'r.csv.darklens-progress.json'))).toBe(false);
    // The drift summary: printed, and written beside the results.
    for (const r of [j, c]) expect(r.stderr).toMatch(/^drift, set model-a: 7 cutouts, 1 failed in the batch/m);
    const drift = JSON.parse(readFileSync(join(cwd, 'r.jsonl.drift.json'), 'utf8')) as { cutouts: number; summary: { set: string; failed: number; models: unknown[] }[] };
    expect(drift.cutouts).toBe(8);
    expect(drift.summary.map((d) => d.set)).toEqual(['model-a']);
    expect(drift.summary[0]!.models).toHaveLength(4);

    const one = async (body: Uint8Array): Promise<ScoreResult> => (await post(svc.app, '/v1/score', body)).json() as Promise<ScoreResult>;
    expectSameScores(lines[0]!, await one(fits));
    expectSameScores(lines[1]!, await one(single));
    const batch = (await (await post(svc.app, '/v1/score/batch', stack)).text()).trimEnd().split('\n').map((l) => JSON.parse(l) as ScoreResult);
    batch.forEach((s, i) => expectSameScores(lines[3 + i]!, s));
  }, 240_000);

  it('resumes after SIGKILL and after Ctrl-C to the bytes of an uninterrupted run', async () => {
    // One model (the cheapest) keeps the runs short; the steps and their order are what is tested.
    const args = ['many/stack.npy', '--models', 'rbm', '-q'];
    expectOk(await score([...args, '--out', 'ref.csv']));
    const want = readFileSync(join(cwd, 'ref.csv'));
    expect(want.toString('utf8').split('\n').length - 2).toBe(MANY);

    const out = join(cwd, 'part.csv');
    const rows = (): number => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').length - 2 : 0);
    /** Starts the run, waits until it has written `after` more rows than `from`, then sends `signal`. */
    const interrupt = async (signal: NodeJS.Signals, from: number): Promise<{ code: number | null; stderr: string; at: number }> => {
      const child = spawn(process.execPath, [BIN, 'score', ...args, '--out', 'part.csv'], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const deadline = Date.now() + 180_000;
      // Waits for output rather than time, so a slow machine still stops it mid-run.
      while (rows() < from + 300) {
        if (Date.now() > deadline || child.exitCode !== null) {
          child.kill('SIGKILL');
          throw new Error(`the run wrote ${rows()} rows in 180 s (exit ${child.exitCode}): ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      const at = rows();
      child.kill(signal);
      return { code: await exited, stderr, at };
    };

    const killed = await interrupt('SIGKILL', 0);
    expect(killed.at).toBeLessThan(MANY);
    expect(existsSync(`${out}.darklens-progress.json`)).toBe(true);

    const stopped = await interrupt('SIGINT', killed.at);
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/continuing part\.csv at cutout \d+ of 3000/);
    expect(stopped.stderr).toMatch(/run the same command again to continue/);

    const last = await score([...args, '--out', 'part.csv']);
    expectOk(last);
    expect(last.stderr).toMatch(/3000 of 3000 cutouts in part\.csv: 3000 scored, 0 failed \(resumed at [1-9]\d*\)/);
    expect(last.stderr).toMatch(/the drift summary is over the \d+ cutouts scored since the run resumed/);
    expect(readFileSync(out).equals(want)).toBe(true);
    expect(existsSync(`${out}.darklens-progress.json`)).toBe(false);
  }, 600_000);

  it('refuses to overwrite finished results, and bad usage, with exit code 2', async () => {
    expectBadInput(await score(['in', '--out', 'r.csv']), /already exists.*--restart/);
    expectBadInput(await score(['nope', '--out', 'x.csv']), /nope does not exist/);
    expectBadInput(await score(['in', '--out', 'x.txt']), /\.csv or \.jsonl/);
    expectBadInput(await score(['in', '--out', 'x.csv', '--models', 'nope']), /nope/);
    expect(existsSync(join(cwd, 'x.csv'))).toBe(false);
  }, 120_000);
});
