import { describe, expect, it } from 'vitest';
import { inOrder } from './in-order.js';

/** A step per call that resolves when the test says so, recording when it started. */
function steps() {
  const started: number[] = [];
  const finish = new Map<number, (v: string) => void>();
  const fail = new Map<number, (e: Error) => void>();
  const start = (k: number): Promise<string> => {
    started.push(k);
    return new Promise<string>((resolve, reject) => {
      finish.set(k, resolve);
      fail.set(k, reject);
    });
  };
  return { started, start, finish: (k: number) => finish.get(k)!(`step ${k}`), fail: (k: number, e: Error) => fail.get(k)!(e) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('inOrder', () => {
  it('keeps two steps started and yields their results in order, whatever order they finish in', async () => {
    const s = steps();
    const it = inOrder(4, s.start);
    const first = it.next();
    await tick();
    expect(s.started).toEqual([0, 1]);
    s.finish(1);
    await tick();
    s.finish(0);
    expect(await first).toEqual({ done: false, value: 'step 0' });
    const second = it.next();
    await tick();
    expect(s.started).toEqual([0, 1, 2]);
    expect(await second).toEqual({ done: false, value: 'step 1' });
    const rest = (async () => {
      const out: string[] = [];
      for (let r = await it.next(); r.done !== true; r = await it.next()) out.push(r.value);
      return out;
    })();
    await tick();
    s.finish(3);
    s.finish(2);
    expect(await rest).toEqual(['step 2', 'step 3']);
    expect(s.started).toEqual([0, 1, 2, 3]);
  });

  it('ends only when every started step has settled, when the consumer stops early or a step fails', async () => {
    const s = steps();
    const it = inOrder(5, s.start);
    const first = it.next();
    await tick();
    s.finish(0);
    await first;
    // the consumer stops while step 1 (and 2, started ahead) still run
    let ended = false;
    const stopping = it.return(undefined).then(() => (ended = true));
    await tick();
    expect(s.started).toEqual([0, 1]);
    s.finish(1);
    await stopping;
    expect(ended).toBe(true);

    const t = steps();
    const failing = inOrder(3, t.start);
    const got = failing.next();
    await tick();
    t.fail(0, new Error('step 0 broke'));
    let settled = false;
    void got.catch(() => (settled = true));
    await tick();
    expect(settled).toBe(false); // step 1 still runs
    t.finish(1);
    await expect(got).rejects.toThrow('step 0 broke');
    expect(t.started).toEqual([0, 1]);
  });

  it('yields nothing for no steps', async () => {
    const s = steps();
    expect(await inOrder(0, s.start).next()).toEqual({ done: true, value: undefined });
    expect(s.started).toEqual([]);
  });
});
