/**
 * onnxruntime-node on a pool of worker threads. Every worker holds a session of every model; each run
 * goes to the worker with the fewest runs in flight, so N workers infer N cutouts at once while the
 * main thread keeps serving HTTP. Inputs go to the worker in shared memory (shared-feeds.ts: a batch is
 * built in the engine's shared planes, or copied there once for all the models that run it), outputs
 * are transferred back.
 *
 * Inputs are never transferred, on purpose. Transferring detaches ArrayBuffers in the main thread, and
 * the first detach in a V8 isolate invalidates its "no buffer was ever detached" assumption for good:
 * from then on every typed-array access in optimized code checks for a detached buffer, and the main
 * thread's per-cutout preprocessing (typed arrays throughout) runs about 25% slower, far more than the
 * copy costs. The workers, which only call onnxruntime, transfer freely.
 *
 * Closing never terminate()s a thread that may be inside onnxruntime: a worker torn down during a run
 * makes onnxruntime-node throw a C++ Napi::Error that nothing can catch, and the whole process aborts
 * (SIGABRT). So close() waits for the calls in flight, then asks each worker to release its sessions
 * and end on its own.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { InferenceEngine, ModelSession, Tensor } from '../app/engine.js';
import { ORT_VERSION } from './ort-session.js';
import type { FromWorker, ToWorker } from './ort-worker-protocol.js';
import { SharedFeeds, SharedPlanes } from './shared-feeds.js';

export interface OrtWorkerOptions {
  /** Worker threads (default: the number of cores). */
  workers?: number;
  /** onnxruntime intra-op threads per inference in each worker (default 1). */
  intraOpThreads?: number;
}

interface Pending {
  resolve(m: FromWorker): void;
  reject(e: Error): void;
  /** Settles when the call is answered or the worker is gone. */
  done: Promise<unknown>;
}

/** How long close() lets a worker finish its calls and end before it is terminated anyway. */
const CLOSE_GRACE_MS = 60_000;

class PoolWorker {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  dead: Error | undefined;

  constructor(url: URL) {
    this.worker = new Worker(url);
    this.worker.unref(); // an idle pool never keeps the process alive
    this.worker.on('message', (m: FromWorker) => {
      const p = this.pending.get(m.call);
      if (p === undefined) return;
      this.pending.delete(m.call);
      if (m.type === 'error') p.reject(new Error(`onnxruntime worker: ${m.message}`));
      else p.resolve(m);
    });
    const die = (e: Error): void => {
      this.dead = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`onnxruntime worker exited with code ${code}`)));
  }

  send(message: ToWorker): Promise<FromWorker> {
    if (this.dead) return Promise.reject(this.dead);
    let pending!: Pending;
    const reply = new Promise<FromWorker>((resolve, reject) => {
      pending = { resolve, reject, done: Promise.resolve() };
    });
    pending.done = reply.catch(() => undefined);
    this.pending.set(message.call, pending);
    this.worker.postMessage(message);
    return reply;
  }

  /** Waits for the calls in flight, then lets the thread release its sessions and end (terminate() only past the grace). */
  async stop(call: number): Promise<void> {
    if (this.dead) return;
    this.worker.ref(); // the process stays up until the thread has ended
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    await Promise.all([...this.pending.values()].map((p) => p.done));
    if (!this.dead) this.worker.postMessage({ type: 'exit', call } satisfies ToWorker);
    const grace = setTimeout(() => void this.worker.terminate(), CLOSE_GRACE_MS);
    await exited;
    clearTimeout(grace);
  }
}

export interface OrtWorkerEngine extends InferenceEngine {
  /** Stops the worker threads once the runs in flight have finished; later calls are refused. */
  close(): Promise<void>;
}

export function ortWorkerEngine(options: OrtWorkerOptions = {}): OrtWorkerEngine {
  const count = Math.max(1, options.workers ?? availableParallelism());
  const threads = options.intraOpThreads ?? 1;
  const url = new URL('./ort-worker.js', import.meta.url);
  const pool = Array.from({ length: count }, () => new PoolWorker(url));
  let nextCall = 0;
  let nextSession = 0;
  const shared = new SharedFeeds();
  const planes = new SharedPlanes();

  let closed: Promise<void> | undefined;

  const leastBusy = (): PoolWorker => {
    if (closed !== undefined) throw new Error('the onnxruntime worker pool is closed');
    const alive = pool.filter((w) => !w.dead);
    if (alive.length === 0) throw new Error('every onnxruntime worker has stopped');
    return alive.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  };

  return {
    name: `onnxruntime-node ${ORT_VERSION} (${count} worker thread${count === 1 ? '' : 's'}, ${threads} intra-op thread${threads === 1 ? '' : 's'} each)`,
    async createSession(model: Uint8Array): Promise<ModelSession> {
      if (closed !== undefined) throw new Error('the onnxruntime worker pool is closed');
      const session = ++nextSession;
      const replies = await Promise.all(pool.map((w) => w.send({ type: 'create', call: ++nextCall, session, model, intraOpThreads: threads })));
      const first = replies[0] as Extract<FromWorker, { type: 'created' }>;
      return {
        inputNames: first.inputNames,
        outputNames: first.outputNames,
        planes,
        async run(feeds: Record<string, Tensor>, outputs?: readonly string[]): Promise<Record<string, Tensor>> {
          // The feeds are shared, not transferred: see the module comment.
          const message: ToWorker = { type: 'run', call: ++nextCall, session, feeds: shared.lend(feeds) };
          if (outputs !== undefined) message.outputs = outputs;
          try {
            const reply = (await leastBusy().send(message)) as Extract<FromWorker, { type: 'result' }>;
            return reply.outputs;
          } finally {
            shared.settle(feeds);
          }
        },
        async release(): Promise<void> {
          await Promise.all(pool.filter((w) => !w.dead).map((w) => w.send({ type: 'release', call: ++nextCall, session }).catch(() => undefined)));
        },
      };
    },
    close(): Promise<void> {
      return (closed ??= Promise.all(pool.map((w) => w.stop(++nextCall))).then(() => undefined));
    },
  };
}
