/**
 * Runs the steps of a retrain in order, skipping those its state records as finished and recording
 * each one as it finishes, so a rerun of an interrupted command continues at its first unfinished step.
 */
import { writeRetrainState, type RetrainState } from './state.js';

export interface Step<C> {
  name: string;
  /** What it does, for the log ("train dcae on 25,000 lenses"). */
  label: (ctx: C) => string;
  run: (ctx: C) => Promise<unknown>;
  /** Run again on every invocation (steps whose effect lives outside the workdir and is cheap). */
  always?: boolean;
}

export interface StepEvents {
  onStep?(index: number, count: number, name: string, label: string, state: 'run' | 'skip'): void;
  onDone?(name: string, seconds: number): void;
}

/** Each step's result (recorded or fresh), by name; stops at the first that throws. */
export async function runSteps<C>(steps: readonly Step<C>[], ctx: C & { results: Record<string, unknown> }, state: RetrainState, dir: string, ev: StepEvents = {}): Promise<void> {
  for (const [i, s] of steps.entries()) {
    const was = state.steps[s.name];
    if (was !== undefined && s.always !== true) {
      ctx.results[s.name] = was.result;
      ev.onStep?.(i, steps.length, s.name, s.label(ctx), 'skip');
      continue;
    }
    ev.onStep?.(i, steps.length, s.name, s.label(ctx), 'run');
    const t0 = performance.now();
    const result = (await s.run(ctx)) ?? null;
    ctx.results[s.name] = result;
    if (s.always !== true) {
      state.steps[s.name] = { finishedAt: new Date().toISOString(), result };
      await writeRetrainState(dir, state);
    }
    ev.onDone?.(s.name, (performance.now() - t0) / 1000);
  }
}
