import { describe, expect, it } from 'vitest';
import { divergingRgb } from './diverging.js';

const rgb = (t: number): number[] => {
  const out = new Uint8Array(3);
  divergingRgb(t, out, 0);
  return Array.from(out);
};

describe('divergingRgb', () => {
  it('maps -1, 0, +1 to blue, white, red, halfway in between, and clamps', () => {
    expect(rgb(-1)).toEqual([59, 76, 192]);
    expect(rgb(0)).toEqual([255, 255, 255]);
    expect(rgb(1)).toEqual([180, 4, 38]);
    expect(rgb(0.5)).toEqual([218, 130, 147]);
    expect(rgb(-7)).toEqual(rgb(-1));
    expect(rgb(NaN)).toEqual([255, 255, 255]);
  });
});
