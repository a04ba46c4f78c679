/**
 * Starts the BUILT `darklens serve` as a child process on 127.0.0.1 and a free port, for tests that
 * need the real Node server (HTTP, signals, file watching, memory). `npm test` builds first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, requireBuiltCli } from './cli.js';

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  /** JSON log records printed so far. */
  logs: Record<string, unknown>[];
  /** Resident set size of the server process in bytes (Linux /proc). */
  rss(): number;
  /** Sends `signal` and resolves once the process has ended: its exit code, or the signal that killed it. */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals>;
  /** What the server wrote on stderr so far. */
  stderr(): string;
}

export function startServerProcess(args: string[] = [], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<ServerProcess> {
  requireBuiltCli();
  // Jobs go to a fresh folder of the test's unless it names one: never the user's state folder.
  const jobsDir = env.DARKLENS_JOBS_DIR ?? mkdtempSync(join(tmpdir(), 'darklens-jobs-'));
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
    env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', DARKLENS_JOBS_DIR: jobsDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let buffered = '';
  const exited = new Promise<number | NodeJS.Signals>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal!)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`darklens serve did not start within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const record = JSON.parse(line) as Record<string, unknown>;
        logs.push(record);
        if (record.msg === 'listening') {
          clearTimeout(timer);
          resolve({
            url: String(record.url),
            proc,
            logs,
            rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024,
            stderr: () => stderr,
            stop: (signal = 'SIGTERM') => {
              if (proc.exitCode === null) proc.kill(signal);
              return exited;
            },
          });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`darklens serve exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
}
