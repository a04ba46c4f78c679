import { describe, expect, it } from 'vitest';
import { OwnedPlanes, SharedFeeds, SharedPlanes } from './shared-feeds.js';

const isShared = (a: Float32Array): boolean => a.buffer instanceof SharedArrayBuffer;

describe('SharedPlanes', () => {
  it('hands out shared planes and reuses those given back, by length', () => {
    const planes = new SharedPlanes();
    const a = planes.take(8);
    expect(isShared(a)).toBe(true);
    expect(a.length).toBe(8);
    planes.give(a);
    planes.give(a); // given twice: still handed out once
    expect(planes.take(4)).not.toBe(a);
    expect(planes.take(8)).toBe(a);
    expect(planes.take(8)).not.toBe(a);
    planes.give(new Float32Array(8)); // not one of its kind: ignored
    expect(isShared(planes.take(8))).toBe(true);
  });
});

describe('SharedFeeds', () => {
  it('copies a plane into shared memory once for the runs in flight on it, and forgets it when they are answered', () => {
    const shared = new SharedFeeds();
    const input = Float32Array.of(1, 2, 3);
    const feeds = { input: { dims: [1, 3], data: input } };
    const a = shared.lend(feeds);
    const b = shared.lend(feeds);
    expect(isShared(a.input!.data)).toBe(true);
    expect(b.input!.data).toBe(a.input!.data);
    expect(Array.from(a.input!.data)).toEqual([1, 2, 3]);
    expect(a.input!.dims).toEqual([1, 3]);
    shared.settle(feeds);
    expect(shared.size).toBe(1);
    shared.settle(feeds);
    expect(shared.size).toBe(0);
    input[0] = 9; // the caller may reuse its array once its runs are answered
    expect(shared.lend(feeds).input!.data[0]).toBe(9);
  });

  it('passes planes already in shared memory as they are', () => {
    const shared = new SharedFeeds();
    const plane = new SharedPlanes().take(3);
    const feeds = { input: { dims: [1, 3], data: plane } };
    expect(shared.lend(feeds).input!.data).toBe(plane);
    shared.settle(feeds);
    expect(shared.size).toBe(0);
  });
});

describe('OwnedPlanes', () => {
  it('copies a shared plane into a buffer of its own per name, reused, and leaves any other plane as it is', () => {
    const owned = new OwnedPlanes();
    const plane = new SharedPlanes().take(2);
    plane.set([1, 2]);
    const own = owned.plane('input', plane);
    expect(isShared(own)).toBe(false);
    expect(Array.from(own)).toEqual([1, 2]);
    plane.set([3, 4]);
    const again = owned.plane('input', plane);
    expect(again).toBe(own);
    expect(Array.from(again)).toEqual([3, 4]);
    expect(owned.plane('variance', plane)).not.toBe(own);
    expect(owned.plane('input', new SharedPlanes().take(3)).length).toBe(3);
    const plain = Float32Array.of(3);
    expect(owned.plane('input', plain)).toBe(plain);
  });
});
