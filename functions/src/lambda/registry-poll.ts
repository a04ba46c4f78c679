/**
 * Registry changes on a runtime without background work: a frozen Lambda environment runs no timers
 * between invocations, so each request may check, at most once per interval, whether the registry's
 * tag moved, and reload before it is served. The reload swaps the set atomically (ModelStore); a
 * registry that fails to load is logged and the previous set keeps serving. A failed load is tried
 * again at the next check even when the tag has not moved: an upload that put registry.json before
 * the files it lists (`aws s3 sync` has no order) then completes on its own.
 */
import type { LogSink } from '../app/middleware/logger.js';
import type { ModelStore } from '../app/model-store.js';
import type { PolledSource } from './s3-source.js';

export interface RegistryPollOptions {
  /** Least time between two checks (ms). */
  intervalMs: number;
  log: LogSink;
  /** Clock (ms), for tests. */
  now?: () => number;
}

export interface RegistryPoller {
  /** Checks the registry if the interval has passed (and retries a first load that failed); never throws. */
  check(): Promise<void>;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function registryPoller(store: ModelStore, source: PolledSource, options: RegistryPollOptions): RegistryPoller {
  const now = options.now ?? (() => performance.now());
  const { log } = options;
  let last = now();
  let running: Promise<void> | undefined;

  async function run(): Promise<void> {
    if (!store.ready) {
      try {
        await store.reload();
        log({ level: 'info', msg: 'models loaded on retry', registry: source.location });
      } catch (e) {
        log({ level: 'error', msg: 'models still not loaded', registry: source.location, error: message(e) });
      }
      return;
    }
    let tag: string | undefined;
    try {
      tag = await source.registryTag();
    } catch (e) {
      log({ level: 'error', msg: 'registry check failed; still serving the loaded models', error: message(e) });
      return;
    }
    if (tag === source.loadedRegistryTag && store.lastError === undefined) return;
    try {
      const set = await store.reload();
      log({ level: 'info', msg: 'registry reloaded', generation: set.generation, models: set.names.map((n) => `${n}@${set.model(n).version}`) });
    } catch (e) {
      log({ level: 'error', msg: 'registry reload failed; still serving the previous models', error: message(e) });
    }
  }

  return {
    check(): Promise<void> {
      if (running !== undefined) return running;
      if (now() - last < options.intervalMs) return Promise.resolve();
      last = now();
      running = run().finally(() => (running = undefined));
      return running;
    },
  };
}
