/** A worker thread of ortWorkerEngine: holds one onnxruntime session per model and runs what it is sent. */
import { parentPort } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import { createOrtSession, runOrt } from './ort-session.js';
import type { ToWorker, FromWorker } from './ort-worker-protocol.js';
import { OwnedPlanes } from './shared-feeds.js';

const port = parentPort!;
const sessions = new Map<number, ort.InferenceSession>();
const owned = new OwnedPlanes();
/**
 * Messages are handled one at a time, in order (onnxruntime runs one at a time on this thread anyway),
 * so each run may reuse `owned`, and a release or exit comes after the runs sent before it.
 */
let handled: Promise<void> = Promise.resolve();

function reply(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

async function handle(msg: ToWorker): Promise<void> {
  try {
    switch (msg.type) {
      case 'create': {
        const s = await createOrtSession(msg.model, msg.intraOpThreads);
        sessions.set(msg.session, s);
        reply({ type: 'created', call: msg.call, inputNames: [...s.inputNames], outputNames: [...s.outputNames] });
        break;
      }
      case 'run': {
        const s = sessions.get(msg.session);
        if (s === undefined) throw new Error(`no session ${msg.session} in this worker`);
        const feeds = Object.fromEntries(Object.entries(msg.feeds).map(([name, t]) => [name, { dims: t.dims, data: owned.plane(name, t.data) }]));
        const outputs = await runOrt(s, feeds, msg.outputs);
        reply({ type: 'result', call: msg.call, outputs }, Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer));
        break;
      }
      case 'release': {
        await sessions.get(msg.session)?.release();
        sessions.delete(msg.session);
        reply({ type: 'released', call: msg.call });
        break;
      }
      case 'exit': {
        await Promise.all([...sessions.values()].map((s) => s.release()));
        sessions.clear();
        port.close(); // nothing else keeps the thread alive: it ends with exit code 0
        break;
      }
    }
  } catch (e) {
    reply({ type: 'error', call: msg.call, message: e instanceof Error ? e.message : String(e) });
  }
}

port.on('message', (msg: ToWorker) => {
  handled = handled.then(() => handle(msg));
});
