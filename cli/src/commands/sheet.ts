import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { decodeStack, DarklensError } from '@darklens/core';
import {
  drawParams,
  LENS_CLASSES,
  PRESET_NAMES,
  renderContactSheet,
  renderLens,
  resolveSpec,
  type SheetRow,
  type SpecOverrides,
} from '@darklens/training';
import { int, overridesFrom, withSpecOptions, type SpecOptionValues } from '../options.js';

interface SheetOptions extends SpecOptionValues {
  out: string;
  preset: string;
  perClass: number;
  seed: number;
  stretch: 'linear' | 'asinh';
  colormap: 'gray' | 'magma';
}

/** Sky images keep FITS order (row 0 = bottom); pictures draw row 0 at the top, so flip for display. */
export function flipRows(data: Float32Array, width: number, height: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let j = 0; j < height; j++) out.set(data.subarray(j * width, (j + 1) * width), (height - 1 - j) * width);
  return out;
}

/** Simulates `perClass` twins per class (same seed: same macro model, so rows differ only by substructure). */
export function simulatedRows(preset: string, overrides: SpecOverrides, perClass: number, seed: number): SheetRow[] {
  const spec = resolveSpec(preset, overrides);
  return LENS_CLASSES.map((klass) => ({
    label: klass,
    images: Array.from({ length: perClass }, (_, i) => {
      const p = drawParams(spec, klass, seed, i);
      const img = Float32Array.from(renderLens(p).image);
      return { width: spec.grid, height: spec.grid, data: flipRows(img, spec.grid, spec.grid), caption: `#${i} snr ${p.snr.toFixed(0)}` };
    }),
  }));
}

/** One row per file: its first `perFile` images (any format darklens reads). */
export async function fileRows(paths: string[], perFile: number): Promise<SheetRow[]> {
  const rows: SheetRow[] = [];
  for (const path of paths) {
    const stack = decodeStack(new Uint8Array(await readFile(path)));
    const px = stack.width * stack.height;
    const n = Math.min(perFile, stack.count);
    rows.push({
      label: basename(path).replace(/\.(npy|fits?|fz|png|jpe?g)(\.gz)?$/i, ''),
      images: Array.from({ length: n }, (_, i) => ({
        width: stack.width,
        height: stack.height,
        data: flipRows(stack.data.subarray(i * px, (i + 1) * px), stack.width, stack.height),
        caption: `#${i}`,
      })),
    });
  }
  return rows;
}

export function sheetCommand(): Command {
  const cmd = new Command('sheet')
    .description('draw a contact sheet (PNG): fresh simulations of each class, or the first images of given files')
    .argument('[files...]', 'cutout files (.npy, .fits, .png, .jpg): one row each; none = simulate')
    .option('-o, --out <file.png>', 'output PNG', 'contact-sheet.png')
    .option('-p, --preset <name>', `preset when simulating: ${PRESET_NAMES.join(', ')}`, 'model-a')
    .option('-n, --per-class <n>', 'images per row', int('images per row', 1, 64), 6)
    .option('-s, --seed <n>', 'seed when simulating', int('seed', 0, 0xffffffff), 0)
    .addOption(new Option('--stretch <s>', 'intensity stretch').choices(['linear', 'asinh']).default('asinh'))
    .addOption(new Option('--colormap <c>', 'colour map').choices(['gray', 'magma']).default('magma'));
  withSpecOptions(cmd);
  return cmd.action(async (files: string[], o: SheetOptions) => {
    if (!o.out.toLowerCase().endsWith('.png')) throw new DarklensError('invalid_argument', `output must be a .png file, got '${o.out}'`);
    const rows = files.length > 0 ? await fileRows(files, o.perClass) : simulatedRows(o.preset, overridesFrom(o), o.perClass, o.seed);
    const title = files.length > 0 ? 'darklens contact sheet' : `darklens ${o.preset} seed ${o.seed} (twins: columns share the macro model)`;
    await writeFile(o.out, renderContactSheet(rows, { title, stretch: o.stretch, colormap: o.colormap }));
    process.stdout.write(`${o.out}  ${rows.length} rows x ${o.perClass}\n`);
  });
}
