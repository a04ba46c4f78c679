/**
 * The masked-pixel rule shared by serving and training: masked (NaN/±Inf) pixels are filled from
 * their neighbours before the model sees them, left out of the reconstruction error, and a cutout
 * with more than half its pixels masked is refused.
 */
import { DarklensError } from '../errors.js';

/** Largest accepted fraction of masked pixels; more and the score would mostly describe the fill. */
export const MAX_MASKED_FRACTION = 0.5;

/**
 * Throws DarklensError('bad_shape') when more than MAX_MASKED_FRACTION of `total` pixels are
 * masked (exactly half is accepted).
 */
export function checkMaskedFraction(masked: number, total: number): void {
  if (!(Number.isInteger(total) && total > 0 && Number.isInteger(masked) && masked >= 0 && masked <= total)) {
    throw new DarklensError(
      'invalid_argument',
      `checkMaskedFraction: masked ${String(masked)} of total ${String(total)}; accepted: integers 0 <= masked <= total, total > 0`,
    );
  }
  if (masked > MAX_MASKED_FRACTION * total) {
    const percent = ((100 * masked) / total).toFixed(1);
    throw new DarklensError(
      'bad_shape',
      `${masked} of ${total} pixels (${percent}%) are masked (NaN, Inf or BLANK); accepted: at most ` +
        `${MAX_MASKED_FRACTION * 100}% masked (${Math.floor(MAX_MASKED_FRACTION * total)} pixels)`,
    );
  }
}

/**
 * Fills NaN/±Inf pixels of `image` (width*height, row-major) in place by iterative neighbour
 * averaging: each pass, every still-masked pixel with at least one filled 8-neighbour takes the
 * mean of those neighbours as they stood before the pass; passes repeat until none is left. This
 * grows the fill inwards from the edges of a hole, so it never depends on scan order.
 *
 * Returns the mask (1 = was masked), or undefined when no pixel was masked. Throws 'bad_shape'
 * when every pixel is masked, since there is nothing to fill from.
 */
export function fillMasked(image: Float32Array, width: number, height: number): Uint8Array | undefined {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new DarklensError(
      'invalid_argument',
      `fillMasked: size ${String(width)}x${String(height)}; accepted: positive integer width and height`,
    );
  }
  if (image.length !== width * height) {
    throw new DarklensError(
      'invalid_argument',
      `fillMasked: image has ${image.length} values; accepted: width*height = ${width * height}`,
    );
  }
  const n = image.length;
  // known[p] = 1 once p holds a finite value usable as a neighbour.
  const known = new Uint8Array(n);
  let maskedCount = 0;
  for (let p = 0; p < n; p++) {
    if (Number.isFinite(image[p])) known[p] = 1;
    else maskedCount++;
  }
  if (maskedCount === 0) return undefined;
  if (maskedCount === n) {
    throw new DarklensError(
      'bad_shape',
      `all ${n} pixels of the ${width}x${height} image are masked (NaN or Inf); accepted: an image with finite pixels`,
    );
  }
  const mask = new Uint8Array(n);
  for (let p = 0; p < n; p++) mask[p] = known[p] ? 0 : 1;

  // Only masked pixels next to known ones can change in a pass: keep them in a frontier so the
  // total work is O(pixels), not O(pixels × passes), for large holes.
  const queued = new Uint8Array(n);
  let frontier: number[] = [];
  /** Calls `visit` with the index of each in-image 8-neighbour of pixel p. */
  const forEachNeighbour = (p: number, visit: (q: number) => void): void => {
    const x = p % width;
    const y = (p - x) / width;
    for (let dy = -1; dy <= 1; dy++) {
      const yy = y + dy;
      if (yy < 0 || yy >= height) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx;
        if ((dx !== 0 || dy !== 0) && xx >= 0 && xx < width) visit(yy * width + xx);
      }
    }
  };
  const enqueueUnknownNeighbours = (p: number, into: number[]): void =>
    forEachNeighbour(p, (q) => {
      if (!known[q] && !queued[q]) {
        queued[q] = 1;
        into.push(q);
      }
    });
  for (let p = 0; p < n; p++) if (known[p]) enqueueUnknownNeighbours(p, frontier);

  while (frontier.length > 0) {
    // Means first, from the values before this pass; then publish them all at once.
    const values = new Float64Array(frontier.length);
    for (let f = 0; f < frontier.length; f++) {
      let sum = 0;
      let count = 0;
      forEachNeighbour(frontier[f] as number, (q) => {
        if (known[q]) {
          sum += image[q] as number;
          count++;
        }
      });
      values[f] = sum / count; // count >= 1: every frontier pixel was queued by a known neighbour
    }
    for (let f = 0; f < frontier.length; f++) {
      const p = frontier[f] as number;
      image[p] = values[f] as number;
      known[p] = 1;
    }
    const next: number[] = [];
    for (const p of frontier) enqueueUnknownNeighbours(p, next);
    frontier = next;
  }
  return mask;
}

/**
 * Mean squared error between `input` and `reconstruction` over the pixels the mask leaves in
 * (mask[p] === 0), or over all pixels when `mask` is undefined. Filled pixels are left out because
 * their values are invented, not observed. Accumulated in float64.
 */
export function maskedMse(input: Float32Array, reconstruction: Float32Array, mask: Uint8Array | undefined): number {
  if (input.length !== reconstruction.length || (mask !== undefined && mask.length !== input.length)) {
    throw new DarklensError(
      'invalid_argument',
      `maskedMse: lengths differ (input ${input.length}, reconstruction ${reconstruction.length}` +
        `${mask === undefined ? '' : `, mask ${mask.length}`}); accepted: equal lengths`,
    );
  }
  let sum = 0;
  let count = 0;
  for (let p = 0; p < input.length; p++) {
    if (mask !== undefined && mask[p] !== 0) continue;
    const d = (input[p] as number) - (reconstruction[p] as number);
    sum += d * d;
    count++;
  }
  if (count === 0) {
    throw new DarklensError('invalid_argument', 'maskedMse: no unmasked pixel to compare; accepted: at least one unmasked pixel');
  }
  return sum / count;
}
