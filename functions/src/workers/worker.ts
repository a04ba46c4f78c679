/**
 * The Cloudflare Worker: the web page is the Worker's static assets (served before the Worker runs),
 * everything else reaches the darklens app built once per isolate over the R2 model registry. The
 * same Worker consumes the jobs queue (queue-consumer.ts) with the isolate's service.
 */
import { DarklensError } from '@darklens/core';
import { errorBody, statusOf } from '../app/http-errors.js';
import { settingsFromEnv, type WorkerEnv } from './env.js';
import { IsolateService, type WaitUntil } from './isolate.js';
import { consumeBatch, type QueueBatch } from './queue-consumer.js';
import { rateLimited } from './rate-limit.js';

let isolate: IsolateService | undefined;

/** The isolate's service, built by its first request. */
export function isolateService(env: WorkerEnv): IsolateService {
  isolate ??= new IsolateService(env, settingsFromEnv(env));
  return isolate;
}

export async function handleRequest(request: Request, env: WorkerEnv, ctx: WaitUntil): Promise<Response> {
  const response = await respond(request, env, ctx);
  // A refusal made before the body was read (401, 404, 429, 503): read the body first. Answering with
  // it unread makes workerd reset the connection under the client, which then sees no answer at all
  // (measured: 6 of 40 rate-limited requests failed so; none with the body read).
  if (request.body !== null && !request.bodyUsed) await request.body.pipeTo(new WritableStream()).catch(() => undefined);
  return response;
}

/** The isolate's service, or (logged) why a bad DARKLENS_* setting keeps it from being built. */
function configured(env: WorkerEnv): IsolateService | { invalid: string } {
  try {
    return isolateService(env);
  } catch (e) {
    console.log(JSON.stringify({ level: 'error', msg: 'invalid configuration', error: e instanceof Error ? e.message : String(e) }));
    return { invalid: e instanceof DarklensError ? e.message : 'see the Worker log' };
  }
}

async function respond(request: Request, env: WorkerEnv, ctx: WaitUntil): Promise<Response> {
  const svc = configured(env);
  if (!(svc instanceof IsolateService)) {
    // Every request says so (503) until the deployment is fixed.
    const err = new DarklensError('unavailable', `the Worker's configuration is invalid: ${svc.invalid}`);
    return Response.json(errorBody(err), { status: statusOf(err.code) });
  }
  const limited = await rateLimited(request, env.RATE_LIMITER);
  if (limited !== undefined) return limited;
  await svc.ready();
  svc.checkRegistry(ctx);
  return svc.service.app.fetch(request);
}

/** A batch of the jobs queue or of its dead-letter queue (wrangler.jsonc's queues.consumers). */
export async function handleQueue(batch: QueueBatch, env: WorkerEnv, ctx: WaitUntil): Promise<void> {
  const svc = configured(env);
  if (!(svc instanceof IsolateService)) {
    // Retried until the deployment is fixed (after max_retries the messages move to the dead-letter queue).
    batch.retryAll();
    return;
  }
  await svc.ready();
  svc.checkRegistry(ctx);
  await consumeBatch(batch, { jobs: svc.service.jobs, deadLetterQueue: svc.settings.deadLetterQueue, log: svc.service.log });
}

export default {
  fetch: handleRequest,
  queue: handleQueue,
};
