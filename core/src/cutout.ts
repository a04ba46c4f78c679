/** What a single cutout and a stack of cutouts both carry. */
interface CutoutFields {
  /** Width of an image in pixels. */
  width: number;
  /** Height of an image in pixels. */
  height: number;
  /** Number of masked pixels (NaN or BLANK in the source). */
  masked: number;
  /** Pixel scale in arcsec/pixel when the file states one. */
  pixelScale?: number;
  /** PSF FWHM in arcsec when the file states one (FITS PSFFWHM, PSF_FWHM, SEEING; PSFSIG as a sigma). */
  psfFwhm?: number;
  /** Format the bytes were decoded from. */
  format: CutoutFormat;
  /** Free-form provenance: FITS header cards, NPY dtype, PNG colour type... */
  meta: Record<string, string | number | boolean>;
}

/**
 * In-memory form of decoded cutouts. Pixels are float32, row-major, row 0 first as stored in the
 * file (FITS row 0 is the bottom of the sky image; we keep file order and never flip silently).
 */
export interface Cutout extends CutoutFields {
  /** Pixel values, length width*height. Masked pixels hold NaN. */
  data: Float32Array;
  /**
   * Noise variance of each pixel in the units of `data` squared, when the file carries a variance
   * plane (LSST-like IMAGE / MASK / VARIANCE extensions); length width*height.
   */
  variance?: Float32Array;
}

/** A stack of equally sized images, e.g. an .npy [N,1,H,W] file. */
export interface CutoutStack extends CutoutFields {
  /** Number of images. */
  count: number;
  /** count*height*width float32 values, image after image. Masked pixels hold NaN. */
  data: Float32Array;
  /** Each pixel's noise variance (see Cutout.variance), image after image, when the file has a noise plane. */
  variance?: Float32Array;
}

export type CutoutFormat = 'fits' | 'npy' | 'png' | 'jpeg';

/** Limits checked before anything is allocated. */
export interface DecodeLimits {
  /** Largest accepted width or height in pixels. */
  maxSide: number;
  /** Largest accepted total pixel count over all images of a stack. */
  maxPixels: number;
}

export const DEFAULT_LIMITS: DecodeLimits = {
  maxSide: 8192,
  maxPixels: 1 << 30,
};
