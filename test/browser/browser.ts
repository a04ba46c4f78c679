/**
 * Test-only helpers of the browser suite: Debian's chromium driven by playwright-core (never a
 * downloaded browser), pages that record console errors, and pixel statistics of canvases.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.DARKLENS_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium (or set DARKLENS_CHROMIUM)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions so far. */
  errors: string[];
}

export async function openPage(browser: Browser, url: string, viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  await page.goto(url);
  return { page, errors };
}

export interface CanvasStats {
  width: number;
  height: number;
  /** Pixels with alpha > 0. */
  opaque: number;
  /** Distinct RGB colours. */
  colours: number;
  /** Mean luminance (0-255) of the outer ring of pixels (3 wide). */
  border: number;
  /** Clearly red (r > g + 60, r > b + 60) and clearly blue (b > r + 60) pixels. */
  red: number;
  blue: number;
}

/** Reads back the pixels a canvas shows and summarizes them (runs in the page). */
export function canvasStats(page: Page, selector: string): Promise<CanvasStats> {
  return page.$eval(selector, (el) => {
    const canvas = el as HTMLCanvasElement;
    const { width, height } = canvas;
    const px = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
    const seen = new Set<number>();
    let opaque = 0, red = 0, blue = 0, borderSum = 0, borderN = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = 4 * (y * width + x);
        const r = px[i]!, g = px[i + 1]!, b = px[i + 2]!, a = px[i + 3]!;
        if (a > 0) opaque++;
        seen.add((r << 16) | (g << 8) | b);
        if (r > g + 60 && r > b + 60) red++;
        if (b > r + 60) blue++;
        const lum = 0.299 * r + 0.587 * g + 0.114 * b;
        if (x < 3 || y < 3 || x >= width - 3 || y >= height - 3) {
          borderSum += lum;
          borderN++;
        }
      }
    }
    return { width, height, opaque, colours: seen.size, border: borderSum / borderN, red, blue };
  });
}

/** Luminance (0-255) of every pixel of a canvas, row by row as shown. */
export function canvasLuminance(page: Page, selector: string): Promise<{ width: number; height: number; lum: number[] }> {
  return page.$eval(selector, (el) => {
    const c = el as HTMLCanvasElement;
    const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const lum: number[] = [];
    for (let i = 0; i < px.length; i += 4) lum.push(0.299 * px[i]! + 0.587 * px[i + 1]! + 0.114 * px[i + 2]!);
    return { width: c.width, height: c.height, lum };
  });
}

/** Mean x (canvas pixels) of the pixels within `tolerance` of an RGB colour, or NaN when there are none. */
export function colourColumn(page: Page, selector: string, rgb: [number, number, number], tolerance = 24): Promise<{ count: number; x: number }> {
  return page.$eval(
    selector,
    (el, [rgb, tolerance]) => {
      const canvas = el as HTMLCanvasElement;
      const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0, sx = 0;
      for (let i = 0; i < px.length; i += 4) {
        if (Math.abs(px[i]! - rgb[0]) <= tolerance && Math.abs(px[i + 1]! - rgb[1]) <= tolerance && Math.abs(px[i + 2]! - rgb[2]) <= tolerance) {
          count++;
          sx += (i / 4) % canvas.width;
        }
      }
      return { count, x: count > 0 ? sx / count : NaN };
    },
    [rgb, tolerance] as const,
  );
}

/** Hash of a canvas' pixels, to tell whether a redraw changed anything. */
export function canvasHash(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (el) => {
    const c = el as HTMLCanvasElement;
    const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    for (let i = 0; i < px.length; i++) h = Math.imul(h ^ px[i]!, 16777619);
    return h >>> 0;
  });
}
