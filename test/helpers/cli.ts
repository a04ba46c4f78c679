/**
 * Runs the BUILT `darklens` CLI (`node cli/bin/darklens.js`) for end-to-end tests. `npm test` builds
 * first; when running vitest directly, run `npx tsc -b` beforehand.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'cli', 'bin', 'darklens.js');

/** Fails with a clear message when the packages have not been built. */
export function requireBuiltCli(): void {
  for (const f of ['cli/dist/index.js', 'training/dist/simulate/worker.js', 'core/dist/index.js']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`the CLI is not built (missing ${f}): run npx tsc -b first`);
  }
}

export interface RunResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args` in `cwd` (and `env` over this process's); resolves with its exit status and output (never rejects on exit codes). */
export function runCli(args: string[], cwd: string, timeoutMs = 120_000, env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: timeoutMs, maxBuffer: 32 << 20, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      if (err && typeof err.code === 'string') return reject(new Error(`could not run ${BIN}: ${err.message}`));
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, signal: err?.signal ?? null, stdout, stderr });
    });
  });
}

/** Asserts a successful run, showing stderr when it was not. */
export function expectOk(r: RunResult): void {
  expect(r.code, `exit code (stderr: ${r.stderr})`).toBe(0);
}

/** Asserts a bad-input exit: code 2, one readable `darklens: ` message, no stack trace. */
export function expectBadInput(r: RunResult, ...mentions: (string | RegExp)[]): void {
  expect(r.code, `exit code (stdout: ${r.stdout}; stderr: ${r.stderr})`).toBe(2);
  expect(r.stderr).toMatch(/^darklens: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  for (const m of mentions) expect(r.stderr).toMatch(m);
}
