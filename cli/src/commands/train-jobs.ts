/**
 * `darklens train --jobs N` with several models: one child `darklens train` process per model, at
 * most N at a time. TensorFlow.js's wasm backend computes on one thread, so separate processes are
 * how several models use several cores. Children run quiet (one line per epoch, prefixed with the
 * model) and their output is passed through whole lines at a time; a stop (Ctrl-C, SIGTERM) is
 * passed on to them, and each removes nothing but its own unfinished checkpoint swap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { runSignal } from '../context.js';

export interface ModelJob {
  model: string;
  /** Arguments after the script path, e.g. ['train', '--data', ...]. */
  args: string[];
}

/** Copies a child's stream to ours a whole line at a time (no interleaved half lines). */
function passLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): void {
  let rest = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    const text = rest + chunk;
    const cut = text.lastIndexOf('\n');
    if (cut < 0) {
      rest = text;
      return;
    }
    to.write(text.slice(0, cut + 1));
    rest = text.slice(cut + 1);
  });
  from.on('end', () => {
    if (rest !== '') to.write(rest + '\n');
  });
}

/** Runs the jobs, `jobs` at a time; resolves with each job's exit code (in job order). */
export async function runModelJobs(list: ModelJob[], jobs: number): Promise<number[]> {
  const codes = new Array<number>(list.length).fill(-1);
  const running = new Set<ChildProcess>();
  const stop = (): void => {
    for (const c of running) c.kill('SIGTERM');
  };
  runSignal.addEventListener('abort', stop);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < list.length && !runSignal.aborted) {
      const k = next++;
      const job = list[k]!;
      const child = spawn(process.execPath, [process.argv[1]!, ...job.args], { stdio: ['ignore', 'pipe', 'pipe'] });
      running.add(child);
      passLines(child.stdout, process.stdout);
      passLines(child.stderr, process.stderr);
      codes[k] = await new Promise<number>((resolve) => {
        child.on('error', () => resolve(1));
        child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGTERM' ? 143 : 1)));
      });
      running.delete(child);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, list.length) }, worker));
  } finally {
    runSignal.removeEventListener('abort', stop);
  }
  return codes;
}
