/** Worker-thread entry: renders the ranges the pool sends, with transferable buffers. */
import { parentPort } from 'node:worker_threads';
import { renderRange, type SimulationJob } from './job.js';

export interface RangeRequest {
  job: SimulationJob;
  start: number;
  end: number;
}

parentPort?.on('message', (req: RangeRequest) => {
  try {
    const out = renderRange(req.job, req.start, req.end);
    const transfer = [out.scaled.buffer, ...(out.raw ? [out.raw.buffer] : [])] as ArrayBuffer[];
    parentPort!.postMessage({ ok: true, start: req.start, ...out }, transfer);
  } catch (e) {
    parentPort!.postMessage({ ok: false, start: req.start, error: e instanceof Error ? e.message : String(e) });
  }
});
