/**
 * PNG and JPEG readers. Both produce a single grey float32 cutout with values in [0, 1].
 *
 * PNG: every colour type (grey, grey+alpha, RGB, RGBA, palette) and bit depth (1, 2, 4, 8, 16),
 * interlaced or not. Grey samples are divided by the bit depth's maximum (2^depth - 1: 1, 3, 15,
 * 255 or 65535); colour becomes luma (0.299 R + 0.587 G + 0.114 B) / max; palette entries are 8-bit
 * RGB. Alpha (an alpha channel or a tRNS chunk) is ignored: the colour values are used as stored.
 * The decoder is our own rather than fast-png's because the image data must be inflated under a
 * bound: the IHDR dimensions are checked against the limits first, and inflation stops as soon as
 * the output exceeds the size those dimensions imply, so a small file cannot expand into gigabytes.
 * Chunk CRCs are verified; a file that ends before IEND is 'truncated'.
 *
 * JPEG: baseline, extended (8-bit) and progressive Huffman-coded files, grey, YCbCr/RGB or Adobe
 * CMYK. The markers are walked first: the frame size (SOFn) is checked against the limits before
 * decoding, and a file that ends before EOI is 'truncated'. Pixels are decoded by jpeg-js and turned
 * into grey with the same luma weights, divided by 255.
 */
import { decode as decodeJpegLibrary } from 'jpeg-js';
import { Unzlib } from 'fflate';
import type { Cutout, DecodeLimits } from '../cutout.js';
import { DEFAULT_LIMITS } from '../cutout.js';
import { DarklensError } from '../errors.js';
import { crc32 } from './crc32.js';

const LUMA_R = 0.299;
const LUMA_G = 0.587;
const LUMA_B = 0.114;

function checkDimensions(kind: 'PNG' | 'JPEG', width: number, height: number, limits: DecodeLimits): void {
  if (width > limits.maxSide || height > limits.maxSide) {
    throw new DarklensError(
      'too_large',
      `${kind} image is ${width}x${height} pixels; accepted: width and height up to ${limits.maxSide}`,
    );
  }
  if (width * height > limits.maxPixels) {
    throw new DarklensError(
      'too_large',
      `${kind} image has ${width * height} pixels; accepted: up to ${limits.maxPixels}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// PNG
// ---------------------------------------------------------------------------------------------

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_ACCEPTED = 'accepted: a complete PNG file (signature, IHDR, IDAT..., IEND)';

/** Big-endian uint32 at i; the caller has checked that i+4 <= bytes.length. */
function u32(bytes: Uint8Array, i: number): number {
  return (
    (((bytes[i] as number) << 24) | ((bytes[i + 1] as number) << 16) | ((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number)) >>>
    0
  );
}

const COLOR_TYPES: Record<number, { name: string; channels: number; depths: readonly number[] }> = {
  0: { name: 'grey', channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { name: 'rgb', channels: 3, depths: [8, 16] },
  3: { name: 'palette', channels: 1, depths: [1, 2, 4, 8] },
  4: { name: 'grey+alpha', channels: 2, depths: [8, 16] },
  6: { name: 'rgba', channels: 4, depths: [8, 16] },
};

interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
}

const ADAM7: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

function passesOf(width: number, height: number, interlaced: boolean): Pass[] {
  if (!interlaced) return [{ x0: 0, y0: 0, dx: 1, dy: 1, width, height }];
  const passes: Pass[] = [];
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = width > x0 ? Math.ceil((width - x0) / dx) : 0;
    const h = height > y0 ? Math.ceil((height - y0) / dy) : 0;
    if (w > 0 && h > 0) passes.push({ x0, y0, dx, dy, width: w, height: h });
  }
  return passes;
}

/** Reverses one scanline's filter in place. `prev` is the previous row's start or -1 for none. */
function unfilterRow(raw: Uint8Array, cur: number, prev: number, n: number, bpp: number, filter: number): void {
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < n; i++) raw[cur + i] = (raw[cur + i] as number) + (raw[cur + i - bpp] as number);
      return;
    case 2:
      if (prev < 0) return;
      for (let i = 0; i < n; i++) raw[cur + i] = (raw[cur + i] as number) + (raw[prev + i] as number);
      return;
    case 3:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? (raw[cur + i - bpp] as number) : 0;
        const b = prev >= 0 ? (raw[prev + i] as number) : 0;
        raw[cur + i] = (raw[cur + i] as number) + ((a + b) >> 1);
      }
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? (raw[cur + i - bpp] as number) : 0;
        const b = prev >= 0 ? (raw[prev + i] as number) : 0;
        const c = prev >= 0 && i >= bpp ? (raw[prev + i - bpp] as number) : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        const predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        raw[cur + i] = (raw[cur + i] as number) + predictor;
      }
      return;
    default:
      throw new DarklensError(
        'bad_header',
        `PNG scanline uses filter type ${filter}; accepted: filter types 0-4 (None, Sub, Up, Average, Paeth)`,
      );
  }
}

interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

function readPngHeader(bytes: Uint8Array, limits: DecodeLimits): PngHeader {
  for (let i = 0; i < Math.min(bytes.length, PNG_SIGNATURE.length); i++) {
    if (bytes[i] !== PNG_SIGNATURE[i]) {
      throw new DarklensError('bad_magic', 'not a PNG file: the 8-byte PNG signature is missing; accepted: PNG files');
    }
  }
  if (bytes.length < 33) {
    throw new DarklensError('truncated', `PNG file ends after ${bytes.length} bytes, before its IHDR chunk is complete; ${PNG_ACCEPTED}`);
  }
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (u32(bytes, 8) !== 13 || type !== 'IHDR') {
    throw new DarklensError('bad_header', `PNG file does not start with a 13-byte IHDR chunk; ${PNG_ACCEPTED}`);
  }
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new DarklensError('bad_header', `PNG IHDR gives a size of ${width}x${height}; accepted: 1 to 2^31-1 pixels per side`);
  }
  checkDimensions('PNG', width, height, limits);
  const depth = bytes[24] as number;
  const colorType = bytes[25] as number;
  const info = COLOR_TYPES[colorType];
  if (!info) {
    throw new DarklensError('bad_header', `PNG colour type ${colorType} does not exist; accepted: 0, 2, 3, 4, 6`);
  }
  if (!info.depths.includes(depth)) {
    throw new DarklensError(
      'bad_header',
      `PNG bit depth ${depth} is invalid for colour type ${colorType} (${info.name}); accepted: ${info.depths.join(', ')}`,
    );
  }
  if (bytes[26] !== 0 || bytes[27] !== 0) {
    throw new DarklensError(
      'bad_header',
      `PNG compression method ${bytes[26]} / filter method ${bytes[27]} is unknown; accepted: 0 / 0`,
    );
  }
  const interlace = bytes[28] as number;
  if (interlace > 1) {
    throw new DarklensError('bad_header', `PNG interlace method ${interlace} is unknown; accepted: 0 (none) or 1 (Adam7)`);
  }
  if (crc32(bytes, 12, 29) !== u32(bytes, 29)) {
    throw new DarklensError('bad_header', `PNG IHDR chunk fails its CRC check (the file is corrupted); ${PNG_ACCEPTED}`);
  }
  return { width, height, depth, colorType, interlaced: interlace === 1 };
}

/** Largest slice of compressed data handed to the inflater at once, bounding each output burst. */
const INFLATE_SLICE = 16 * 1024;

function flateCode(e: unknown): number | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'number') return e.code;
  return undefined;
}

/**
 * Decodes a PNG into a grey cutout with values in [0, 1] (see the module comment). The IHDR size is
 * checked against `limits` before anything is allocated or inflated.
 */
export function readPng(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): Cutout {
  const header = readPngHeader(bytes, limits);
  const { width, height, depth, colorType } = header;
  const info = COLOR_TYPES[colorType] as { name: string; channels: number };
  const bitsPerPixel = depth * info.channels;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = passesOf(width, height, header.interlaced);
  let expected = 0;
  for (const p of passes) expected += p.height * (1 + Math.ceil((p.width * bitsPerPixel) / 8));

  const raw = new Uint8Array(expected);
  let written = 0;
  const inflater = new Unzlib((chunk) => {
    if (written + chunk.length > expected) {
      throw new DarklensError(
        'bad_header',
        `PNG image data inflates to more than the ${expected} bytes a ${width}x${height} ${info.name} image of depth ${depth} needs; ` +
          'accepted: image data matching the IHDR',
      );
    }
    raw.set(chunk, written);
    written += chunk.length;
  });
  const inflate = (data: Uint8Array, final: boolean): void => {
    try {
      inflater.push(data, final);
    } catch (e) {
      if (e instanceof DarklensError) throw e;
      if (flateCode(e) === 0) {
        throw new DarklensError('truncated', `PNG compressed image data ends early; ${PNG_ACCEPTED}`, { cause: e });
      }
      throw new DarklensError('bad_header', `PNG compressed image data is corrupt (${String(e)}); ${PNG_ACCEPTED}`, {
        cause: e,
      });
    }
  };

  let palette: Uint8Array | undefined;
  let sawIdat = false;
  let hasTransparency = false;
  let pos = 33;
  for (;;) {
    if (pos + 8 > bytes.length) {
      throw new DarklensError('truncated', `PNG file ends at byte ${bytes.length} before its IEND chunk; ${PNG_ACCEPTED}`);
    }
    const length = u32(bytes, pos);
    const typeBytes = bytes.subarray(pos + 4, pos + 8);
    const type = String.fromCharCode(...typeBytes);
    if (!/^[A-Za-z]{4}$/.test(type) || length > 0x7fffffff) {
      throw new DarklensError('bad_header', `PNG chunk at byte ${pos} has an invalid type or length; ${PNG_ACCEPTED}`);
    }
    const start = pos + 8;
    const end = start + length;
    if (end + 4 > bytes.length) {
      throw new DarklensError('truncated', `PNG file ends inside its ${type} chunk at byte ${pos}; ${PNG_ACCEPTED}`);
    }
    if (crc32(bytes, pos + 4, end) !== u32(bytes, end)) {
      throw new DarklensError('bad_header', `PNG ${type} chunk at byte ${pos} fails its CRC check (the file is corrupted); ${PNG_ACCEPTED}`);
    }
    pos = end + 4;
    if (type === 'IEND') break;
    switch (type) {
      case 'IHDR':
        throw new DarklensError('bad_header', `PNG file has a second IHDR chunk; ${PNG_ACCEPTED}`);
      case 'PLTE':
        if (length === 0 || length % 3 !== 0 || length > 768 || sawIdat) {
          throw new DarklensError(
            'bad_header',
            `PNG PLTE chunk of ${length} bytes is invalid; accepted: 1 to 256 RGB entries before the first IDAT`,
          );
        }
        palette = bytes.subarray(start, end);
        break;
      case 'tRNS':
        hasTransparency = true;
        break;
      case 'IDAT':
        sawIdat = true;
        for (let s = start; s < end; s += INFLATE_SLICE) inflate(bytes.subarray(s, Math.min(end, s + INFLATE_SLICE)), false);
        break;
      default:
        // Bit 5 of the first type byte clear marks a critical chunk that must be understood.
        if (((typeBytes[0] as number) & 0x20) === 0) {
          throw new DarklensError(
            'unsupported_layout',
            `PNG critical chunk ${type} is not supported; accepted: critical chunks IHDR, PLTE, IDAT, IEND`,
          );
        }
    }
  }
  if (!sawIdat) throw new DarklensError('bad_header', `PNG file has no IDAT chunk; ${PNG_ACCEPTED}`);
  if (colorType === 3 && !palette) {
    throw new DarklensError('bad_header', 'PNG palette image has no PLTE chunk; accepted: palette images with a PLTE chunk');
  }
  inflate(new Uint8Array(0), true);
  if (written < expected) {
    throw new DarklensError(
      'truncated',
      `PNG image data inflates to ${written} bytes but a ${width}x${height} ${info.name} image of depth ${depth} needs ${expected}; ${PNG_ACCEPTED}`,
    );
  }

  const data = new Float32Array(width * height);
  const maxValue = depth === 16 ? 65535 : (1 << depth) - 1;
  const paletteLuma = new Float64Array(256).fill(NaN);
  if (palette) {
    for (let i = 0; i * 3 < palette.length; i++) {
      paletteLuma[i] =
        (LUMA_R * (palette[3 * i] as number) + LUMA_G * (palette[3 * i + 1] as number) + LUMA_B * (palette[3 * i + 2] as number)) /
        255;
    }
  }
  const channels = info.channels;
  let offset = 0;
  for (const pass of passes) {
    const rowBytes = Math.ceil((pass.width * bitsPerPixel) / 8);
    for (let y = 0; y < pass.height; y++) {
      const cur = offset + 1;
      unfilterRow(raw, cur, y > 0 ? cur - rowBytes - 1 : -1, rowBytes, bpp, raw[offset] as number);
      const sample = (x: number, c: number): number => {
        if (depth === 8) return raw[cur + x * channels + c] as number;
        if (depth === 16) {
          const i = cur + 2 * (x * channels + c);
          return ((raw[i] as number) << 8) | (raw[i + 1] as number);
        }
        const bit = x * depth; // depth < 8 only occurs with one channel
        return ((raw[cur + (bit >> 3)] as number) >> (8 - depth - (bit & 7))) & maxValue;
      };
      let target = (pass.y0 + y * pass.dy) * width + pass.x0;
      for (let x = 0; x < pass.width; x++, target += pass.dx) {
        let value: number;
        if (colorType === 3) {
          value = paletteLuma[sample(x, 0)] as number;
          if (Number.isNaN(value)) {
            throw new DarklensError(
              'bad_header',
              `PNG pixel uses palette index ${sample(x, 0)} but the PLTE chunk has ${(palette?.length ?? 0) / 3} entries; accepted: indices within the palette`,
            );
          }
        } else if (channels <= 2) {
          value = sample(x, 0) / maxValue;
        } else {
          value = (LUMA_R * sample(x, 0) + LUMA_G * sample(x, 1) + LUMA_B * sample(x, 2)) / maxValue;
        }
        data[target] = value;
      }
      offset += rowBytes + 1;
    }
  }

  return {
    width,
    height,
    data,
    masked: 0,
    format: 'png',
    meta: {
      colorType: info.name,
      bitDepth: depth,
      interlaced: header.interlaced,
      alphaIgnored: colorType === 4 || colorType === 6 || hasTransparency,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// JPEG
// ---------------------------------------------------------------------------------------------

const JPEG_ACCEPTED = 'accepted: a complete JPEG file (SOI ... EOI)';
const JPEG_PROCESSES = 'accepted: baseline, extended (8-bit) or progressive Huffman-coded JPEG';

interface JpegFrame {
  width: number;
  height: number;
  components: number;
  process: number;
}

const SOF_NAMES: Record<number, string> = {
  0xc3: 'lossless',
  0xc5: 'differential sequential',
  0xc6: 'differential progressive',
  0xc7: 'differential lossless',
  0xc9: 'arithmetic-coded sequential',
  0xca: 'arithmetic-coded progressive',
  0xcb: 'arithmetic-coded lossless',
  0xcd: 'arithmetic-coded differential sequential',
  0xce: 'arithmetic-coded differential progressive',
  0xcf: 'arithmetic-coded differential lossless',
};

/**
 * Walks the marker segments from SOI to EOI without decoding anything: finds the frame header,
 * checks its size against the limits, and proves the file is complete.
 */
function scanJpeg(bytes: Uint8Array, limits: DecodeLimits): JpegFrame {
  const len = bytes.length;
  if (len < 2 || bytes[0] !== 0xff || bytes[1] !== 0xd8) {
    if (len < 2 && (len === 0 || bytes[0] === 0xff)) {
      throw new DarklensError('truncated', `JPEG file ends after ${len} bytes; ${JPEG_ACCEPTED}`);
    }
    throw new DarklensError('bad_magic', 'not a JPEG file: it does not start with the SOI marker FF D8; accepted: JPEG files');
  }
  const truncated = (where: string): DarklensError =>
    new DarklensError('truncated', `JPEG file ends at byte ${len} ${where}, before its EOI marker; ${JPEG_ACCEPTED}`);
  let frame: JpegFrame | undefined;
  let sawScan = false;
  let pos = 2;
  for (;;) {
    if (pos >= len) throw truncated('between segments');
    if (bytes[pos] !== 0xff) {
      throw new DarklensError('bad_header', `JPEG file has no marker at byte ${pos} where one must be; ${JPEG_ACCEPTED}`);
    }
    while (pos < len && bytes[pos] === 0xff) pos++; // fill bytes
    if (pos >= len) throw truncated('inside a marker');
    const marker = bytes[pos++] as number;
    if (marker === 0xd9) break; // EOI
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // TEM, RSTn: no segment
    if (marker === 0x00 || marker === 0xd8) {
      throw new DarklensError('bad_header', `JPEG file has a misplaced marker FF ${marker.toString(16).toUpperCase().padStart(2, '0')} at byte ${pos - 2}; ${JPEG_ACCEPTED}`);
    }
    if (pos + 2 > len) throw truncated('inside a segment length');
    const segment = ((bytes[pos] as number) << 8) | (bytes[pos + 1] as number);
    if (segment < 2) {
      throw new DarklensError('bad_header', `JPEG segment at byte ${pos - 2} has an invalid length ${segment}; ${JPEG_ACCEPTED}`);
    }
    if (pos + segment > len) throw truncated('inside a segment');
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (frame) throw new DarklensError('bad_header', `JPEG file has more than one frame header; ${JPEG_PROCESSES}`);
      if (segment < 8) throw new DarklensError('bad_header', `JPEG frame header is too short; ${JPEG_ACCEPTED}`);
      const precision = bytes[pos + 2] as number;
      const height = ((bytes[pos + 3] as number) << 8) | (bytes[pos + 4] as number);
      const width = ((bytes[pos + 5] as number) << 8) | (bytes[pos + 6] as number);
      const components = bytes[pos + 7] as number;
      if (segment < 8 + 3 * components) {
        throw new DarklensError('bad_header', `JPEG frame header is shorter than its ${components} components need; ${JPEG_ACCEPTED}`);
      }
      if (height === 0) {
        throw new DarklensError(
          'unsupported_layout',
          `JPEG frame gives its height later in a DNL marker, which is not supported; ${JPEG_PROCESSES} with the height in the frame header`,
        );
      }
      if (width === 0) throw new DarklensError('bad_header', `JPEG frame has width 0; ${JPEG_ACCEPTED}`);
      checkDimensions('JPEG', width, height, limits);
      if (marker > 0xc2) {
        throw new DarklensError(
          'unsupported_layout',
          `JPEG coding process SOF${marker - 0xc0} (${SOF_NAMES[marker] ?? 'unknown'}) is not supported; ${JPEG_PROCESSES}`,
        );
      }
      if (precision !== 8) {
        throw new DarklensError('unsupported_layout', `JPEG sample precision ${precision} bits is not supported; ${JPEG_PROCESSES}`);
      }
      if (components !== 1 && components !== 3 && components !== 4) {
        throw new DarklensError(
          'unsupported_layout',
          `JPEG with ${components} colour components is not supported; accepted: 1 (grey), 3 (YCbCr/RGB) or 4 (Adobe CMYK)`,
        );
      }
      frame = { width, height, components, process: marker - 0xc0 };
    }
    pos += segment;
    if (marker === 0xda) {
      if (!frame) throw new DarklensError('bad_header', `JPEG scan starts before any frame header; ${JPEG_ACCEPTED}`);
      sawScan = true;
      // Entropy-coded data runs until a marker other than a stuffed 00 or a restart marker.
      for (;;) {
        if (pos + 1 >= len) throw truncated('inside compressed image data');
        if (bytes[pos] !== 0xff) {
          pos++;
          continue;
        }
        const next = bytes[pos + 1] as number;
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) pos += 2;
        else if (next === 0xff) pos++;
        else break;
      }
    }
  }
  if (!frame) throw new DarklensError('bad_header', `JPEG file has no frame header (SOFn); ${JPEG_ACCEPTED}`);
  if (!sawScan) throw new DarklensError('bad_header', `JPEG file has no image data (SOS); ${JPEG_ACCEPTED}`);
  return frame;
}

/**
 * Decodes a JPEG into a grey cutout with values in [0, 1] (see the module comment). The frame size
 * is checked against `limits` before decoding; decoder failures become DarklensError with the
 * library's error as `cause`.
 */
export function readJpeg(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): Cutout {
  const frame = scanJpeg(bytes, limits);
  const { width, height } = frame;
  const pixels = width * height;
  let image: { width: number; height: number; data: Uint8Array };
  try {
    image = decodeJpegLibrary(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      // Slightly above the frame's own size so only a lying file trips it.
      maxResolutionInMP: (pixels + 1) / 1e6,
      // jpeg-js needs about 4 bytes of coefficients per component and pixel plus the RGBA output.
      maxMemoryUsageInMB: Math.ceil((pixels * (8 * frame.components + 8)) / (1 << 20)) + 64,
    });
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    if (/maxResolutionInMP|maxMemoryUsageInMB|allocate enough memory/.test(detail)) {
      throw new DarklensError('too_large', `JPEG image needs more memory than allowed to decode (${detail}); accepted: up to ${limits.maxSide} pixels per side`, {
        cause: e,
      });
    }
    throw new DarklensError('bad_header', `JPEG image data could not be decoded (${detail}); ${JPEG_ACCEPTED}`, { cause: e });
  }
  if (image.width !== width || image.height !== height || image.data.length !== 4 * pixels) {
    throw new DarklensError(
      'bad_header',
      `JPEG decoded to ${image.width}x${image.height} pixels but its frame header says ${width}x${height}; ${JPEG_ACCEPTED}`,
    );
  }
  const rgba = image.data;
  const data = new Float32Array(pixels);
  if (frame.components === 1) {
    for (let i = 0; i < pixels; i++) data[i] = (rgba[4 * i] as number) / 255;
  } else {
    for (let i = 0; i < pixels; i++) {
      data[i] = (LUMA_R * (rgba[4 * i] as number) + LUMA_G * (rgba[4 * i + 1] as number) + LUMA_B * (rgba[4 * i + 2] as number)) / 255;
    }
  }
  return {
    width,
    height,
    data,
    masked: 0,
    format: 'jpeg',
    meta: {
      colorType: frame.components === 1 ? 'grey' : frame.components === 3 ? 'colour' : 'cmyk',
      components: frame.components,
      process: frame.process === 2 ? 'progressive' : frame.process === 1 ? 'extended' : 'baseline',
    },
  };
}
