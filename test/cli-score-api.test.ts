/**
 * `darklens score --api` end to end: the BUILT CLI against the BUILT server (`darklens serve` on
 * 127.0.0.1, a temp jobs folder, an API key). The same inputs (FITS, NPY, a broken file, an NPY stack)
 * scored here and through the jobs API give the same rows; an --api run killed with SIGKILL and then
 * stopped with Ctrl-C resumes to the bytes of an uninterrupted --api run; a wrong key, an unreachable
 * URL and local-only options are refused clearly. Kept small (CI's budget): 600 cutouts at most.
 * Build first: npx tsc -b.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '@darklens/core';
import { csvHeader, csvRow, type BatchLine, type ScoreResult } from '@darklens/functions';
import { BIN, expectBadInput, expectOk, requireBuiltCli, runCli, type RunResult } from './helpers/cli.js';
import { startServerProcess, type ServerProcess } from './helpers/server.js';
import { fitsOf, npyStack, simulatedLenses } from './helpers/service.js';

const KEY = 'k-e2e-7f3a9c';
/** Three run steps (256 each): a kill after the first lands mid-run. */
const MANY = 600;
const STEP = 256;
const ROLES = ['dcae', 'vae', 'aae', 'rbm'];

const lenses = simulatedLenses('no_sub', 6, 23);

let cwd: string;
let server: ServerProcess;
beforeAll(async () => {
  requireBuiltCli();
  cwd = mkdtempSync(join(tmpdir(), 'darklens-cli-score-api-'));
  mkdirSync(join(cwd, 'in'));
  writeFileSync(join(cwd, 'in', 'a.fits'), fitsOf(lenses[0]!));
  writeFileSync(join(cwd, 'in', 'b.npy'), writeNpy(lenses[1]!.data, [64, 64]));
  writeFileSync(join(cwd, 'in', 'broken.fits'), fitsOf(lenses[0]!).slice(0, 2000));
  writeFileSync(join(cwd, 'in', 'c-stack.npy'), npyStack(lenses.slice(2), 5));
  writeFileSync(join(cwd, 'in', 'd.fits'), fitsOf(lenses[5]!));
  writeFileSync(join(cwd, 'many.npy'), npyStack(lenses, MANY));
  server = await startServerProcess([], { DARKLENS_API_KEYS: KEY });
});
afterAll(async () => {
  await server?.stop();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

const withKey = { DARKLENS_API_KEY: KEY };
const score = (args: string[], env: Record<string, string> = {}): Promise<RunResult> => runCli(['score', ...args], cwd, 240_000, env);
const text = (file: string): string => readFileSync(join(cwd, file), 'utf8');
const jsonl = (file: string): BatchLine[] => text(file).trimEnd().split('\n').map((l) => JSON.parse(l) as BatchLine);

/** Relatively close (1e-5), or both exactly equal (identical text, e.g. 0 or an empty CSV field). */
function close(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-5 * Math.max(Math.abs(a), Math.abs(b));
}

function expectSameLines(api: BatchLine[], local: BatchLine[]): void {
  expect(api.map((l) => [l.index, l.name])).toEqual(local.map((l) => [l.index, l.name]));
  for (const [i, l] of local.entries()) {
    const a = api[i]!;
    if ('error' in l) {
      expect(a).toEqual(l);
      continue;
    }
    const [got, want] = [a as ScoreResult, l as ScoreResult];
    expect([got.set.name, got.verdict, Object.keys(got.models)]).toEqual([want.set.name, want.verdict, Object.keys(want.models)]);
    for (const [role, s] of Object.entries(want.models)) {
      expect(close(got.models[role]!.loss, s.loss), `${l.name} ${role} loss ${got.models[role]!.loss} vs ${s.loss}`).toBe(true);
      expect(close(got.models[role]!.pValue, s.pValue), `${l.name} ${role} p-value`).toBe(true);
    }
    expect(close(got.ensemble.pValue, want.ensemble.pValue)).toBe(true);
  }
}

/** CSV rows cell by cell: text equal, or numbers within the tolerance. */
function expectSameCsv(api: string, local: string): void {
  const [a, l] = [api.trimEnd().split('\n'), local.trimEnd().split('\n')];
  expect(a[0]).toBe(l[0]);
  expect(a).toHaveLength(l.length);
  for (const [i, row] of l.entries()) {
    const [x, y] = [a[i]!.split(','), row.split(',')];
    expect(x).toHaveLength(y.length);
    y.forEach((cell, j) => expect(cell === x[j] || close(Number(x[j]), Number(cell)), `row ${i} column ${j}: ${x[j]} vs ${cell}`).toBe(true));
  }
}

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

describe('darklens score --api', () => {
  it('gives the rows of a local run: names, order, columns, errors, scores within 1e-5', async () => {
    const runs = [
      await score(['in', '--out', 'local.jsonl']),
      await score(['in', '--out', 'api.jsonl', '--api', server.url], withKey),
      await score(['in', '--out', 'api.csv', '--api', server.url, '--api-key', KEY]),
    ];
    for (const r of runs) expectOk(r);
    const [, api] = runs;
    expect(api!.stderr).toContain(`scoring on ${server.url}, 4 jobs in flight`);
    expect(api!.stderr).toMatch(/^darklens: in\/broken\.fits: truncated: /m);
    expect(api!.stderr).toMatch(/9 of 9 cutouts in api\.jsonl: 8 scored, 1 failed/);
    expect(api!.stderr).not.toContain(KEY);
    expect(jsonl('api.jsonl').map((l) => l.name)).toEqual(['in/a.fits', 'in/b.npy', 'in/broken.fits', ...[0, 1, 2, 3, 4].map((i) => `in/c-stack.npy[${i}]`), 'in/d.fits']);
    expectSameLines(jsonl('api.jsonl'), jsonl('local.jsonl'));
    // The local run's CSV holds its lines as the shared rows module writes them.
    expectSameCsv(text('api.csv'), csvHeader(ROLES) + jsonl('local.jsonl').map((l) => csvRow(l, ROLES)).join(''));
    // The drift summary is computed against the service's calibrations: the same as the local one.
    const drift = (f: string) => {
      const r = JSON.parse(text(`${f}.drift.json`)) as { cutouts: number; summary: { set: string; cutouts: number; failed: number; warnings: string[]; models: { role: string; model: string; score: string; n: number; calibrationCount: number; ksStatistic: number }[] }[] };
      return { cutouts: r.cutouts, summary: r.summary.map((d) => ({ ...d, models: d.models.map((m) => ({ role: m.role, model: m.model, score: m.score, n: m.n, calibrationCount: m.calibrationCount, ks: Math.round(m.ksStatistic * 1e4) })) })) };
    };
    const [apiDrift, localDrift] = [drift('api.jsonl'), drift('local.jsonl')];
    expect(apiDrift.summary[0]!.models).toHaveLength(4);
    expect(apiDrift.summary[0]!.models[0]!.calibrationCount).toBeGreaterThan(100);
    expect({ cutouts: apiDrift.cutouts, summary: apiDrift.summary.map((d) => ({ set: d.set, cutouts: d.cutouts, failed: d.failed, warnings: d.warnings, models: d.models })) }).toEqual({
      cutouts: localDrift.cutouts,
      summary: localDrift.summary.map((d) => ({ set: d.set, cutouts: d.cutouts, failed: d.failed, warnings: d.warnings, models: d.models })),
    });
  }, 300_000);

  it('resumes after SIGKILL and after Ctrl-C to the bytes of an uninterrupted --api run', async () => {
    // The interrupted runs send one job at a time, so a step is always in flight when they stop; the
    // others the default 4: the jobs, and so the output, do not depend on how many are in flight.
    const args = ['many.npy', '--models', 'rbm', '-q', '--api', server.url];
    const oneAtATime = [...args, '--concurrency', '1'];
    expectOk(await score([...args, '--out', 'ref.csv'], withKey));
    const want = readFileSync(join(cwd, 'ref.csv'));
    expect(want.toString('utf8').split('\n').length - 2).toBe(MANY);

    const out = join(cwd, 'part.csv');
    const progress = `${out}.darklens-progress.json`;
    /** Cutouts the progress file records as written (the rows past it are scored again on resume). */
    const rows = (): number => {
      try {
        return (JSON.parse(readFileSync(progress, 'utf8')) as { done: number }).done;
      } catch {
        return 0; // not there yet, or being replaced
      }
    };
    /**
     * Runs until the progress file records `after` cutouts, then freezes the server (SIGSTOP) so no
     * further step can finish, sends `signal` to the CLI and lets the server go on: the run always
     * stops mid-way.
     */
    const interrupt = async (signal: NodeJS.Signals, after: number): Promise<{ code: number | null; stderr: string; at: number }> => {
      const child = spawn(process.execPath, [BIN, 'score', ...oneAtATime, '--out', 'part.csv'], { cwd, env: { ...process.env, ...withKey }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      for (const deadline = Date.now() + 120_000; rows() < after; ) {
        if (Date.now() > deadline || child.exitCode !== null) {
          child.kill('SIGKILL');
          throw new Error(`the run wrote ${rows()} rows (exit ${child.exitCode}): ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      server.proc.kill('SIGSTOP');
      const at = rows();
      child.kill(signal);
      server.proc.kill('SIGCONT');
      return { code: await exited, stderr, at };
    };

    const killed = await interrupt('SIGKILL', STEP);
    expect(killed.at).toBeLessThan(MANY);
    expect(existsSync(progress)).toBe(true);
    // Finishing it on this machine instead would mix two scorers: refused, before any model loads.
    expectBadInput(await score(['many.npy', '--models', 'rbm', '--out', 'part.csv']), new RegExp(`part of another run \\(it was scored on the service at ${server.url.replace(/[.]/g, '\\.')}, this run scores on this machine\\)`));

    const stopped = await interrupt('SIGINT', 2 * STEP);
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain(`continuing part.csv at cutout ${killed.at} of 600`);
    expect(stopped.stderr).toMatch(/stopped after \d+ of 600 cutouts; run the same command again to continue/);

    const last = await score([...args, '--out', 'part.csv'], withKey);
    expectOk(last);
    expect(last.stderr).toMatch(/600 of 600 cutouts in part\.csv: 600 scored, 0 failed \(resumed at [1-9]\d*\)/);
    expect(readFileSync(out).equals(want)).toBe(true);
    expect(existsSync(progress)).toBe(false);
  }, 300_000);

  it('refuses a wrong or missing key, an unreachable URL and local-only options, with exit code 2', async () => {
    const wrong = await score(['in', '--out', 'x.csv', '--api', server.url, '--api-key', 'not-the-key-4821']);
    expectBadInput(wrong, /answered 401/, /refused the API key given \(--api-key or DARKLENS_API_KEY\)/);
    expect(wrong.stderr).not.toContain('not-the-key-4821');
    expectBadInput(await score(['in', '--out', 'x.csv', '--api', server.url]), /needs an API key: pass --api-key KEY or set DARKLENS_API_KEY/);
    const url = `http://127.0.0.1:${await closedPort()}`;
    expectBadInput(await score(['in', '--out', 'x.csv', '--api', url], withKey), new RegExp(`cannot reach the darklens service at ${url.replace(/[.]/g, '\\.')}`));
    expectBadInput(await score(['in', '--out', 'x.csv', '--api', server.url, '--workers', '2'], withKey), /--workers is for scoring on this machine/);
    expectBadInput(await score(['in', '--out', 'x.csv', '--concurrency', '2']), /--concurrency goes with --api/);
    // Options the service refuses are said when the first job is sent; no files are left behind.
    expectBadInput(await score(['in', '--out', 'x.csv', '--api', server.url, '--models', 'nope'], withKey), /nope/);
    expect(existsSync(join(cwd, 'x.csv'))).toBe(false);
    expect(existsSync(join(cwd, 'x.csv.darklens-progress.json'))).toBe(false);
  }, 120_000);
});
