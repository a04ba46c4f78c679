// Writes lenses.npy, the simulated cutouts behind core/src/preprocess/prepare-golden.test.ts: 16
// lenses of 64x64 float32 pixels in physical units, as the simulator renders them (before min-max
// scaling): 12 of the model-a preset (0.1"/px; 6 smooth, 3 with spherical and 3 with vortex
// substructure) then 4 smooth ones of the lsst preset (0.2"/px, wider PSF, other SNRs).
//
// The test reads only the .npy: the simulator may change without touching the golden outputs. Run
// from the repository root after npx tsc -b:  node core/test-fixtures/prepare-golden/make-lenses.mjs
import { writeFileSync } from 'node:fs';
import { writeNpy } from '@darklens/core';
import { renderRange, resolveSpec } from '@darklens/training';

const SEED = 20260801;
const GROUPS = [
  { preset: 'model-a', klass: 'no_sub', count: 6 },
  { preset: 'model-a', klass: 'spherical', count: 3 },
  { preset: 'model-a', klass: 'vortex', count: 3 },
  { preset: 'lsst', klass: 'no_sub', count: 4 },
];

const side = 64;
const total = GROUPS.reduce((n, g) => n + g.count, 0);
const data = new Float32Array(total * side * side);
let at = 0;
for (const g of GROUPS) {
  const spec = resolveSpec(g.preset);
  if (spec.grid !== side) throw new Error(`${g.preset} renders ${spec.grid}x${spec.grid}, not ${side}x${side}`);
  const { raw } = renderRange({ spec, klass: g.klass, seed: SEED, count: g.count, keepRaw: true }, 0, g.count);
  data.set(raw, at);
  at += raw.length;
}
writeFileSync(new URL('./lenses.npy', import.meta.url), writeNpy(data, [total, side, side]));
