#!/usr/bin/env node
/**
 * Writes the page's "try an example" cutouts into web/public/examples/: per lens class (no_sub,
 * spherical, vortex) two FITS files in physical units (as `darklens simulate --fits` writes them) and
 * one NPY file with the same lens min-max scaled (as the simulator's .npy holds it), plus
 * manifest.json that lists them. Deterministic: the same seed gives the same bytes.
 *
 *   npx tsc -b && node web/scripts/make-examples.mjs
 *
 * The images are the first ones of each class for SEED, not picked by score, so the page shows what
 * the models really do with fresh simulations (some substructure lenses are not flagged).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFits, writeNpy } from '@darklens/core';
import { LENS_CLASSES, renderRange, resolveSpec, simulationFitsCards } from '@darklens/training';

const OUT = fileURLToPath(new URL('../public/examples/', import.meta.url));
const PRESET = 'model-a';
const SEED = 6;
const FITS_PER_CLASS = 2;

const spec = resolveSpec(PRESET);
const side = spec.grid;
const px = side * side;
mkdirSync(OUT, { recursive: true });
for (const f of readdirSync(OUT)) rmSync(join(OUT, f));

const TITLES = { no_sub: 'smooth lens', spherical: '25 subhalos', vortex: 'vortex line' };
const examples = [];
for (const klass of LENS_CLASSES) {
  // Image i of every class is the same macro lens (twins), so the classes differ only by substructure.
  const n = FITS_PER_CLASS + 1;
  const { scaled, raw, records } = renderRange({ spec, klass, seed: SEED, count: n, keepRaw: true }, 0, n);
  for (let i = 0; i < FITS_PER_CLASS; i++) {
    const rec = records[i];
    const file = `${klass}_${i + 1}.fits`;
    const bytes = writeFits(
      { width: side, height: side, data: raw.subarray(i * px, (i + 1) * px) },
      { pixelScale: spec.pixelScale, cards: simulationFitsCards(rec, rec.exposure), history: [`darklens web/scripts/make-examples.mjs, preset ${PRESET}, seed ${SEED}`] },
    );
    writeFileSync(join(OUT, file), bytes);
    examples.push({ file, class: klass, format: 'fits', title: `${TITLES[klass]} #${i + 1}` });
  }
  const i = FITS_PER_CLASS;
  const file = `${klass}_${i + 1}.npy`;
  writeFileSync(join(OUT, file), writeNpy(scaled.slice(i * px, (i + 1) * px), [1, 1, side, side]));
  examples.push({ file, class: klass, format: 'npy', title: `${TITLES[klass]} #${i + 1}` });
}
const manifest = { preset: PRESET, seed: SEED, generator: 'web/scripts/make-examples.mjs', examples };
writeFileSync(join(OUT, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote ${examples.length} examples to ${OUT}`);
