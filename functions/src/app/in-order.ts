/**
 * Steps of a long piece of work (a batch stream, a job's chunk) run a few at a time and taken in
 * order. Starting a step scores it up to its inference (scoring.ts prepares its cutouts on this thread
 * and queues every model run at once), so with the step after the awaited one already started, the
 * inference threads always have the next step's runs queued while this thread formats the results of
 * one step and prepares the next: no step waits for an idle core.
 */

/** Steps in flight: the awaited one and the one after it. */
export const STEPS_AHEAD = 2;

/**
 * Yields `start(0)`, `start(1)`, ... `start(count - 1)`'s results in order, with up to `depth` steps
 * started. A consumer that stops early (or a step that fails) leaves no step running: the generator
 * ends only once every step it started has settled.
 */
export async function* inOrder<T>(count: number, start: (step: number) => Promise<T>, depth = STEPS_AHEAD): AsyncGenerator<T, void, undefined> {
  const ahead: Promise<T>[] = [];
  let next = 0;
  try {
    for (;;) {
      while (ahead.length < depth && next < count) {
        const p = start(next++);
        p.catch(() => undefined); // awaited in turn; a later step failing first is not unhandled meanwhile
        ahead.push(p);
      }
      const p = ahead.shift();
      if (p === undefined) return;
      yield await p;
    }
  } finally {
    await Promise.allSettled(ahead);
  }
}
