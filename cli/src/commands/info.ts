import { readFile, stat } from 'node:fs/promises';
import { Command } from 'commander';
import { decodeStack, type CutoutStack } from '@darklens/core';

interface InfoOptions {
  json?: boolean;
  hdu?: string;
}

export interface CutoutSummary {
  file: string;
  bytes: number;
  format: string;
  count: number;
  height: number;
  width: number;
  masked: number;
  pixelScale: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
  meta: CutoutStack['meta'];
}

export function summarize(file: string, bytes: number, s: CutoutStack): CutoutSummary {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  for (const v of s.data) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    n++;
  }
  return {
    file,
    bytes,
    format: s.format,
    count: s.count,
    height: s.height,
    width: s.width,
    masked: s.masked,
    pixelScale: s.pixelScale ?? null,
    min: n ? min : null,
    max: n ? max : null,
    mean: n ? sum / n : null,
    meta: s.meta,
  };
}

export function infoCommand(): Command {
  return new Command('info')
    .description('decode cutout files (FITS, FITS.gz, NPY, PNG, JPEG) and print what darklens sees: format, shape, pixel scale, masked pixels, range')
    .argument('<files...>', 'files to inspect')
    .option('--hdu <name|index>', 'FITS: the HDU to read (EXTNAME or index); default the first image HDU with data')
    .option('--json', 'one JSON object per file')
    .action(async (files: string[], o: InfoOptions) => {
      for (const file of files) {
        const bytes = new Uint8Array(await readFile(file));
        const hdu = o.hdu === undefined ? undefined : /^\d+$/.test(o.hdu) ? Number(o.hdu) : o.hdu;
        const s = summarize(file, (await stat(file)).size, decodeStack(bytes, hdu === undefined ? {} : { hdu }));
        if (o.json) {
          process.stdout.write(JSON.stringify(s) + '\n');
          continue;
        }
        const scale = s.pixelScale === null ? 'pixel scale unknown' : `${s.pixelScale.toPrecision(4)}"/px`;
        const range = s.min === null ? 'no finite pixels' : `min ${s.min.toPrecision(4)} max ${s.max!.toPrecision(4)} mean ${s.mean!.toPrecision(4)}`;
        process.stdout.write(`${file}: ${s.format} ${s.count} x ${s.height} x ${s.width}, ${scale}, ${s.masked} masked, ${range}\n`);
      }
    });
}
