import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { DarklensError, minMaxScale, writeFits, writeNpy } from '@darklens/core';
import { renderLens, RgbCanvas, simulationFitsCards, type LensParams } from '@darklens/training';
import { int } from '../options.js';

interface RenderOptions {
  params: string;
  index: number;
  out: string;
  noiseless?: boolean;
}

/** Finds the record of image `index` in a .params.jsonl file without loading the whole file. */
export async function findRecord(path: string, index: number): Promise<LensParams> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let rec: LensParams;
    try {
      rec = JSON.parse(line) as LensParams;
    } catch {
      throw new DarklensError('bad_header', `${path}:${lineNo} is not valid JSON`);
    }
    if (rec.index === index) {
      lines.close();
      if (rec.version !== 1) throw new DarklensError('unsupported_layout', `${path}:${lineNo} has record version ${String(rec.version)}; accepted: 1`);
      return rec;
    }
  }
  throw new DarklensError('not_found', `no record with index ${index} in ${path}`);
}

export function renderCommand(): Command {
  return new Command('render')
    .description('re-render one image, bit for bit, from its line in a .params.jsonl file (audit or re-use a simulated image)')
    .requiredOption('--params <file>', '.params.jsonl written by simulate or splits')
    .requiredOption('-i, --index <n>', 'image index', int('index', 0, Number.MAX_SAFE_INTEGER))
    .requiredOption('-o, --out <file>', 'output: .npy (scaled to [0,1], as in the data set), .fits (physical units) or .png (a look)')
    .option('--noiseless', 'render without noise (for inspection)')
    .action(async (o: RenderOptions) => {
      const ext = extname(o.out).toLowerCase();
      if (!['.npy', '.fits', '.png'].includes(ext)) {
        throw new DarklensError('invalid_argument', `output must end in .npy, .fits or .png, got '${o.out}'`);
      }
      const params = await findRecord(o.params, o.index);
      const r = renderLens(params, o.noiseless ? { noise: false } : {});
      const side = params.grid;
      let bytes: Uint8Array;
      if (ext === '.npy') {
        bytes = writeNpy(minMaxScale(r.image), [1, 1, side, side]);
      } else if (ext === '.fits') {
        bytes = writeFits(
          { width: side, height: side, data: Float32Array.from(r.image) },
          { pixelScale: params.pixelScale, cards: simulationFitsCards(params, o.noiseless ? undefined : r.exposure) },
        );
      } else {
        const scale = Math.max(1, Math.floor(256 / side));
        const canvas = new RgbCanvas(side * scale, side * scale);
        canvas.drawGray(0, 0, { width: side, height: side, data: Float32Array.from(r.image) }, { stretch: 'asinh', scale });
        bytes = canvas.toPng();
      }
      await writeFile(o.out, bytes);
      process.stdout.write(`${o.out}  ${params.class} #${params.index} of ${params.preset} seed ${params.seed}\n`);
    });
}
