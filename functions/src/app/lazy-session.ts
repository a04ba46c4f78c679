/**
 * A model session opened on its first run. The model store uses it when sessions are lazy (Workers:
 * an isolate pays memory and start-up time only for the models its requests use): the graph's names
 * come from the registry until the real session exists, and the real graph must then match them.
 */
import { DarklensError } from '@darklens/core';
import type { ModelSession, Tensor } from './engine.js';

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n) => b.includes(n));
}

export class LazySession implements ModelSession {
  private session: Promise<ModelSession> | undefined;

  constructor(
    /** The model, for messages, e.g. "model dcae v1". */
    private readonly what: string,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
    /** Reads (sha256-checked) and opens the graph. */
    private readonly open: () => Promise<ModelSession>,
  ) {}

  /** Whether the real session has been asked for (it may still be opening). */
  get opened(): boolean {
    return this.session !== undefined;
  }

  private real(): Promise<ModelSession> {
    if (this.session === undefined) {
      const p = this.open().then(
        async (s) => {
          if (sameNames(s.inputNames, this.inputNames) && sameNames(s.outputNames, this.outputNames)) return s;
          await s.release().catch(() => undefined);
          throw new DarklensError('integrity_mismatch', `${this.what}: the registry lists inputs ${this.inputNames.join(', ')} and outputs ${this.outputNames.join(', ')}; the graph has ${s.inputNames.join(', ')} and ${s.outputNames.join(', ')}`);
        },
        (e: unknown) => {
          if (e instanceof DarklensError && (e.code === 'integrity_mismatch' || e.code === 'unavailable')) throw e;
          throw new DarklensError('unavailable', `${this.what} could not be loaded: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        },
      );
      this.session = p;
      // A failed open is retried by the next run instead of being remembered.
      p.catch(() => {
        if (this.session === p) this.session = undefined;
      });
    }
    return this.session;
  }

  async run(feeds: Record<string, Tensor>, outputs?: readonly string[]): Promise<Record<string, Tensor>> {
    return (await this.real()).run(feeds, outputs);
  }

  async release(): Promise<void> {
    const p = this.session;
    this.session = undefined;
    if (p === undefined) return;
    const s = await p.catch(() => undefined);
    await s?.release();
  }
}
