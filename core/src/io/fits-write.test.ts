import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHeader } from './fits-header.js';
import { readFits } from './fits-read.js';
import { writeFits } from './fits-write.js';
import { expectError } from '../../../test/helpers/cutout-errors.js';

const PYTHON = '/usr/bin/python3';

/** True when Debian's python3 with astropy is available to cross-check the writer. */
const hasAstropy = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import astropy.io.fits, numpy'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
})();

function cardsOf(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let pos = 0; pos < bytes.length; pos += 80) {
    const card = String.fromCharCode(...bytes.subarray(pos, pos + 80));
    out.push(card);
    if (card.startsWith('END ')) break;
  }
  return out;
}

/** A deterministic test image with awkward values: NaN, +-0, subnormals, extremes. */
function sample(width: number, height: number) {
  const data = new Float32Array(width * height);
  let seed = 7;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[i] = (seed / 2 ** 32 - 0.5) * 1000;
  }
  data[0] = NaN;
  data[1] = -0;
  data[2] = 1e-45; // smallest subnormal
  data[3] = 3.4028234663852886e38;
  data[4] = -3.4028234663852886e38;
  data[data.length - 1] = NaN;
  return { width, height, data };
}

describe('writeFits', () => {
  it('writes the mandatory keywords first, in order, and pads header and data to 2880 bytes', () => {
    const img = sample(17, 13);
    const bytes = writeFits(img, { pixelScale: 0.05, cards: { OBJECT: 'lens', BUNIT: 'e-/s' } });
    expect(bytes.length).toBe(2880 + Math.ceil((17 * 13 * 4) / 2880) * 2880);
    const cards = cardsOf(bytes);
    expect(cards.slice(0, 7).map((c) => c.slice(0, 30))).toEqual([
      'SIMPLE  =                    T',
      'BITPIX  =                  -32',
      'NAXIS   =                    2',
      'NAXIS1  =                   17',
      'NAXIS2  =                   13',
      'EXTEND  =                    T',
      "BUNIT   = 'e-/s    '          ",
    ]);
    expect(cards.at(-1)!.trimEnd()).toBe('END');
    for (const c of cards) expect(c).toMatch(/^[\x20-\x7e]{80}$/);
    // The rest of the header block is blanks; the data padding is zeros.
    const headerEnd = cards.length * 80;
    expect(bytes.subarray(headerEnd, 2880).every((b) => b === 0x20)).toBe(true);
    expect(bytes.subarray(2880 + 17 * 13 * 4).every((b) => b === 0)).toBe(true);
    // Big-endian IEEE: the pixel at index 3 is 0x7f7fffff.
    expect([...bytes.subarray(2880 + 12, 2880 + 16)]).toEqual([0x7f, 0x7f, 0xff, 0xff]);
  });

  it('round-trips through readFits bit for bit, with NaN masked and the pixel scale kept', () => {
    for (const [w, h] of [
      [1, 1],
      [16, 16],
      [720, 1], // data exactly 2880 bytes: no padding block
      [33, 29],
    ] as const) {
      const img = sample(w, h);
      const back = readFits(writeFits(img, { pixelScale: 0.0396 }));
      expect([back.width, back.height]).toEqual([w, h]);
      const a = new Uint32Array(img.data.buffer);
      const b = new Uint32Array(back.data.buffer);
      let nans = 0;
      for (let i = 0; i < img.data.length; i++) {
        if (Number.isNaN(img.data[i])) {
          nans++;
          expect(back.data[i]).toBeNaN();
        } else if (a[i] !== b[i]) {
          expect(back.data[i], `pixel ${i}`).toBe(img.data[i]);
          expect(b[i], `bits of pixel ${i}`).toBe(a[i]);
        }
      }
      expect(back.masked).toBe(nans);
      expect(Math.abs(back.pixelScale! - 0.0396) / 0.0396).toBeLessThan(1e-12);
      expect(back.meta.BITPIX).toBe(-32);
      expect(back.meta.ORIGIN).toBe('darklens');
    }
  });

  it('writes CDELT, CUNIT and PIXSCALE for the pixel scale', () => {
    const h = parseHeader(writeFits(sample(4, 4), { pixelScale: 0.1 }), 0);
    expect(h.get('CDELT1')).toBe(-0.1 / 3600);
    expect(h.get('CDELT2')).toBe(0.1 / 3600);
    expect(h.get('CUNIT1')).toBe('deg');
    expect(h.get('CUNIT2')).toBe('deg');
    expect(h.get('PIXSCALE')).toBe(0.1);
    const none = parseHeader(writeFits(sample(4, 4)), 0);
    expect(none.has('CDELT1')).toBe(false);
    expect(none.has('PIXSCALE')).toBe(false);
  });

  it('writes extra cards and HISTORY, escapes quotes, and reads them back', () => {
    const long = 'x'.repeat(100);
    const bytes = writeFits(sample(3, 2), {
      cards: { OBJECT: "O'Brien's lens", EXPTIME: 1200.5, NCOMBINE: 4, FLAG: false, 'DATE-OBS': '2020-01-02', ORIGIN: 'me' },
      history: ['made by a test', long],
    });
    const h = parseHeader(bytes, 0);
    expect(h.get('OBJECT')).toBe("O'Brien's lens");
    expect(h.get('EXPTIME')).toBe(1200.5);
    expect(h.get('NCOMBINE')).toBe(4);
    expect(h.get('FLAG')).toBe(false);
    expect(h.get('ORIGIN')).toBe('me');
    expect(h.commentary('HISTORY')).toEqual(['made by a test', 'x'.repeat(72), 'x'.repeat(28)]);
    const meta = readFits(bytes).meta;
    expect(meta).toMatchObject({ OBJECT: "O'Brien's lens", 'DATE-OBS': '2020-01-02', EXPTIME: 1200.5, ORIGIN: 'me' });
  });

  it('is deterministic and adds no DATE of its own', () => {
    const img = sample(5, 5);
    const a = writeFits(img, { pixelScale: 0.2, history: ['h'] });
    const b = writeFits(img, { pixelScale: 0.2, history: ['h'] });
    expect(a).toEqual(b);
    expect(parseHeader(a, 0).has('DATE')).toBe(false);
    expect(parseHeader(writeFits(img, { cards: { DATE: '2024-06-07T00:00:00' } }), 0).get('DATE')).toBe('2024-06-07T00:00:00');
  });

  it('writes numbers that read back to the same double', () => {
    const values = [0, -0.5, 1 / 3, 1e-300, 6.02214076e23, -123456789012, 2 ** 53, Number.MIN_VALUE];
    const cards: Record<string, number> = {};
    values.forEach((v, i) => (cards[`V${i}`] = v));
    const h = parseHeader(writeFits(sample(1, 1), { cards }), 0);
    values.forEach((v, i) => expect(h.get(`V${i}`)).toBe(v));
  });

  it('rejects bad images and options with invalid_argument', () => {
    const img = sample(4, 3);
    expectError(() => writeFits({ width: 0, height: 3, data: new Float32Array(0) }), 'invalid_argument', /width/);
    expectError(() => writeFits({ width: 4, height: 2.5, data: img.data }), 'invalid_argument', /height/);
    expectError(() => writeFits({ width: 4, height: 4, data: img.data }), 'invalid_argument', /12 values/);
    expectError(() => writeFits({ ...img, data: [1, 2] as unknown as Float32Array }), 'invalid_argument', /Float32Array/);
    expectError(() => writeFits(img, { pixelScale: 0 }), 'invalid_argument', /pixelScale/);
    expectError(() => writeFits(img, { pixelScale: NaN }), 'invalid_argument', /pixelScale/);
    expectError(() => writeFits(img, { cards: { object: 'x' } }), 'invalid_argument', /A-Z/);
    expectError(() => writeFits(img, { cards: { TOOLONGKEY: 'x' } }), 'invalid_argument', /1 to 8 characters/);
    expectError(() => writeFits(img, { cards: { NAXIS1: 5 } }), 'invalid_argument', /written by writeFits/);
    expectError(() => writeFits(img, { cards: { BITPIX: 16 } }), 'invalid_argument', /written by writeFits/);
    expectError(() => writeFits(img, { cards: { HISTORY: 'x' } }), 'invalid_argument', /written by writeFits/);
    expectError(() => writeFits(img, { pixelScale: 0.1, cards: { CDELT1: 1 } }), 'invalid_argument', /pixelScale/);
    expectError(() => writeFits(img, { cards: { OBJECT: 'x'.repeat(69) } }), 'invalid_argument', /at most 68/);
    expectError(() => writeFits(img, { cards: { OBJECT: "'".repeat(35) } }), 'invalid_argument', /at most 68/);
    expect(() => writeFits(img, { cards: { OBJECT: 'x'.repeat(68) } })).not.toThrow();
    expectError(() => writeFits(img, { cards: { OBJECT: 'caf\u00e9' } }), 'invalid_argument', /printable ASCII/);
    expectError(() => writeFits(img, { cards: { GAIN: Infinity } }), 'invalid_argument', /finite/);
    expectError(() => writeFits(img, { cards: { GAIN: null as unknown as number } }), 'invalid_argument', /string, number or boolean/);
    expectError(() => writeFits(img, { history: ['line\nbreak'] }), 'invalid_argument', /printable ASCII/);
  });

  it.skipIf(!hasAstropy)(
    'astropy opens, verifies and reads what writeFits wrote (skipped when /usr/bin/python3 has no astropy)',
    () => {
      const img = sample(9, 7);
      const bytes = writeFits(img, {
        pixelScale: 0.04,
        cards: { OBJECT: "it's a lens", BUNIT: 'e-/s', EXPTIME: 100, FLAG: true },
        history: ['a'.repeat(100)],
      });
      const dir = mkdtempSync(join(tmpdir(), 'darklens-fits-'));
      try {
        const path = join(dir, 'w.fits');
        writeFileSync(path, bytes);
        const script = [
          'import json, sys, warnings',
          'import numpy as np',
          'from astropy.io import fits',
          "warnings.simplefilter('error')",
          'with fits.open(sys.argv[1]) as f:',
          "    f.verify('exception')",
          '    h = f[0].header',
          '    d = f[0].data',
          '    print(json.dumps({"n": len(f), "shape": list(d.shape), "dtype": str(d.dtype),',
          '        "values": [None if np.isnan(v) else float(v) for v in d.reshape(-1).tolist()],',
          '        "cdelt": [h["CDELT1"], h["CDELT2"]], "pixscale": h["PIXSCALE"], "object": h["OBJECT"],',
          '        "bunit": h["BUNIT"], "flag": h["FLAG"], "history": "".join(h["HISTORY"])}))',
        ].join('\n');
        const out = execFileSync(PYTHON, ['-c', script, path], { encoding: 'utf8', timeout: 60_000 });
        const got = JSON.parse(out) as {
          n: number;
          shape: number[];
          dtype: string;
          values: (number | null)[];
          cdelt: number[];
          pixscale: number;
          object: string;
          bunit: string;
          flag: boolean;
          history: string;
        };
        expect(got.n).toBe(1);
        expect(got.shape).toEqual([7, 9]);
        expect(got.dtype).toBe('>f4');
        got.values.forEach((v, i) => {
          if (v === null) expect(img.data[i]).toBeNaN();
          else expect(v, `pixel ${i}`).toBe(img.data[i]);
        });
        expect(got.cdelt).toEqual([-0.04 / 3600, 0.04 / 3600]);
        expect(got.pixscale).toBe(0.04);
        expect(got.object).toBe("it's a lens");
        expect(got.bunit).toBe('e-/s');
        expect(got.flag).toBe(true);
        expect(got.history).toBe('a'.repeat(100));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
