/**
 * The web page in a real browser: the built page (web/dist) served by the real `darklens serve`,
 * driven in Debian's chromium. Run with `npm run test:browser` (it builds the page first; the CLI
 * must be built: `npx tsc -b`). Screenshots of the main views go to test-artifacts/browser/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { quantileThreshold, writeFits, writeNpy } from '@darklens/core';
import type { ModelDetail, ModelList, ScoreResult } from '@darklens/functions';
import { renderRange, resolveSpec, type LensClass } from '@darklens/training';
import { ROOT } from '../helpers/cli.js';
import { startServerProcess, type ServerProcess } from '../helpers/server.js';
import { canvasHash, canvasLuminance, canvasStats, colourColumn, launchChromium, openPage, type WatchedPage } from './browser.js';

const WEB = join(ROOT, 'web', 'dist');
const SHOTS = join(ROOT, 'test-artifacts', 'browser');
const THRESHOLD_RGB: [number, number, number] = [245, 166, 35];
/** The roles (models= names) of the sets the page's cutouts go to; each set maps them to its registered models. */
const MODELS = ['dcae', 'vae', 'aae', 'rbm'];

let server: ServerProcess;
let browser: Browser;
let dir: string;
let current: WatchedPage | undefined;
/** Console errors a test expects (the browser's own log line for an HTTP error answer). */
let allowed: RegExp[] = [];
/** GET /v1/models: whatever sets the registry holds while the suite runs. */
let list: ModelList;
const details = new Map<string, ModelDetail>();

/** A registered model's detail (calibration scores), fetched once. */
async function detail(name: string): Promise<ModelDetail> {
  if (!details.has(name)) details.set(name, (await (await fetch(`${server.url}/v1/models/${encodeURIComponent(name)}`)).json()) as ModelDetail);
  return details.get(name)!;
}

/** The registered model a role names in the default set. */
function defaultModel(role: string): string {
  const set = list.sets.find((s) => s.name === list.defaultSet)!;
  return set.models[role] ?? role;
}

/** `count` simulated model-a lenses of each class, in physical units, as FITS files; returns their paths. */
function simulate(klass: LensClass, count: number, seed: number, write: (name: string, data: Float32Array) => string): string[] {
  const spec = resolveSpec('model-a');
  const { raw } = renderRange({ spec, klass, seed, count, keepRaw: true }, 0, count);
  const n = spec.grid * spec.grid;
  return Array.from({ length: count }, (_, i) => write(`${klass}_${seed}_${i}`, raw!.slice(i * n, (i + 1) * n)));
}

function fitsFile(name: string, data: Float32Array, pixelScale = 0.1): string {
  const path = join(dir, `${name}.fits`);
  writeFileSync(path, writeFits({ width: 64, height: 64, data }, { pixelScale }));
  return path;
}

/** Splits one CSV line (quoted fields, no line breaks inside) into its fields. */
function csvFields(line: string): string[] {
  return [...line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)].map((m) => (m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!));
}

function npyFile(name: string, data: Float32Array): string {
  const path = join(dir, `${name}.npy`);
  writeFileSync(path, writeNpy(data, [1, 64, 64]));
  return path;
}

/** What the API itself says about a file, to check the page against. */
async function apiScore(path: string, query = ''): Promise<{ status: number; body: ScoreResult & { error?: { code: string; message: string } } }> {
  const res = await fetch(`${server.url}/v1/score${query}`, { method: 'POST', body: readFileSync(path) });
  return { status: res.status, body: (await res.json()) as ScoreResult & { error?: { code: string; message: string } } };
}

async function page(viewport?: { width: number; height: number }): Promise<Page> {
  current = await openPage(browser, `${server.url}/`, viewport);
  await current.page.waitForSelector('button[data-example]');
  return current.page;
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function upload(p: Page, paths: string[]): Promise<void> {
  await p.setInputFiles('#file-input', paths);
}

/** Drops files on the drop zone as a drag from the desktop would. */
async function drop(p: Page, paths: string[]): Promise<void> {
  const files = paths.map((path) => ({ name: basename(path), data: Array.from(readFileSync(path)) }));
  const transfer = await p.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([new Uint8Array(f.data)], f.name));
    return dt;
  }, files);
  await p.dispatchEvent('.drop', 'dragover', { dataTransfer: transfer });
  await p.dispatchEvent('.drop', 'drop', { dataTransfer: transfer });
}

/**
 * Checks that a canvas shows `values` (row 0 first, as in the file) drawn with row 0 at the bottom,
 * through a monotonic stretch: the brightest value's pixel is among the brightest shown and the
 * faintest value's among the faintest, and the display is not a flat fill.
 */
async function expectDrawn(p: Page, selector: string, values: ArrayLike<number>, side = 64): Promise<void> {
  const shown = await canvasLuminance(p, selector);
  expect([shown.width, shown.height]).toEqual([side, side]);
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! > values[hi]!) hi = i;
    if (values[i]! < values[lo]!) lo = i;
  }
  const at = (i: number) => shown.lum[(side - 1 - Math.floor(i / side)) * side + (i % side)]!;
  const sorted = [...shown.lum].sort((a, b) => a - b);
  const q = (f: number) => sorted[Math.floor(f * (sorted.length - 1))]!;
  expect(q(0.99) - q(0.01), `${selector} contrast`).toBeGreaterThan(100);
  expect(at(hi), `${selector} brightest pixel`).toBeGreaterThanOrEqual(q(0.99));
  expect(at(lo), `${selector} faintest pixel`).toBeLessThanOrEqual(q(0.1));
}

async function verdicts(p: Page): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = { ensemble: await p.getAttribute('[data-testid=ensemble] .verdict', 'data-verdict') };
  for (const m of MODELS) out[m] = await p.getAttribute(`li[data-model=${m}] .verdict`, 'data-verdict');
  return out;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'darklens-browser-'));
  [server, browser] = await Promise.all([startServerProcess(['--web', WEB]), launchChromium()]);
  list = (await (await fetch(`${server.url}/v1/models`)).json()) as ModelList;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  const errors = (current?.errors ?? []).filter((e) => !allowed.some((a) => a.test(e)));
  await current?.page.context().close();
  current = undefined;
  allowed = [];
  expect(errors, 'console errors in the page').toEqual([]);
});

describe('web page', () => {
  it('scores an uploaded FITS: verdicts, numbers from the API, and the images and histograms really drawn', async () => {
    let raw: Float32Array | undefined;
    const [fits] = simulate('vortex', 1, 101, (name, data) => fitsFile(name, (raw = data)));
    const api = await apiScore(fits!, '?outputs=reconstruction&encoding=array&models=dcae');
    const full = await apiScore(fits!);
    expect(api.status).toBe(200);
    const p = await page();
    await upload(p, [fits!]);
    await p.waitForSelector('li[data-model=rbm] .histogram canvas');
    await shot(p, 'single-fits');

    // The numbers shown are the API's.
    const shownP = await p.textContent('[data-testid=ensemble-p]');
    expect(Number(shownP)).toBeCloseTo(full.body.ensemble.pValue, full.body.ensemble.pValue < 0.01 ? 4 : 3);
    expect(await p.textContent('[data-testid=ensemble]')).toContain('FITS 64×64');
    // At the default 5% the page's verdicts follow the rules of the calibration (loss > t, p <= alpha).
    const v = await verdicts(p);
    expect(v.ensemble).toBe(full.body.ensemble.pValue <= 0.05 ? 'flagged' : 'smooth');
    for (const m of MODELS) {
      // A role's calibration is its registered model's in the set that scored the cutout.
      const d = await detail(full.body.models[m]!.model);
      const t = quantileThreshold(d.scores, 0.05, d.thresholds.quantileRule);
      expect(v[m], m).toBe(full.body.models[m]!.loss > t ? 'flagged' : 'smooth');
    }

    // The cutout and the DCAE's reconstruction are drawn from their pixels, the right way up.
    const input = await canvasStats(p, 'canvas[data-kind=input]');
    expect(input).toMatchObject({ width: 64, height: 64, opaque: 64 * 64 });
    expect(input.colours).toBeGreaterThan(100);
    await expectDrawn(p, 'canvas[data-kind=input]', raw!);
    await expectDrawn(p, 'canvas[data-kind=reconstruction]', api.body.models.dcae!.outputs!.reconstruction!.array!.data);
    // The residual is a diverging map: both signs present, mostly near white.
    const residual = await canvasStats(p, 'canvas[data-kind=residual]');
    expect(residual.red).toBeGreaterThan(0);
    expect(residual.blue).toBeGreaterThan(0);
    expect(residual.border).toBeGreaterThan(200);
    // Each model's histogram has bars and the threshold line.
    for (const m of MODELS) {
      const hist = await canvasStats(p, `li[data-model=${m}] .histogram canvas`);
      expect(hist.colours, m).toBeGreaterThan(10);
      expect((await colourColumn(p, `li[data-model=${m}] .histogram canvas`, THRESHOLD_RGB)).count, `${m} threshold line`).toBeGreaterThan(20);
    }

    // Another model's images, and the other stretch, redraw the canvases.
    const before = await canvasHash(p, 'canvas[data-kind=reconstruction]');
    await p.getByRole('radio', { name: 'vae' }).check();
    await p.waitForSelector('text=vae reconstruction');
    expect(await canvasHash(p, 'canvas[data-kind=reconstruction]')).not.toBe(before);
    const asinh = await canvasHash(p, 'canvas[data-kind=input]');
    await p.getByRole('radio', { name: 'zscale' }).check();
    expect(await canvasHash(p, 'canvas[data-kind=input]')).not.toBe(asinh);
    await p.getByRole('radio', { name: 'asinh' }).check();
  });

  it('scores an NPY dropped on the page', async () => {
    const [npy] = simulate('spherical', 1, 102, npyFile);
    const api = await apiScore(npy!);
    expect(api.status).toBe(200);
    const p = await page();
    await drop(p, [npy!]);
    await p.waitForSelector('li[data-model=rbm] .histogram canvas');
    expect(await p.textContent('[data-testid=ensemble]')).toContain('NPY 64×64');
    expect(Number(await p.textContent('[data-testid=ensemble-p]'))).toBeCloseTo(api.body.ensemble.pValue, 3);
    const input = await canvasStats(p, 'canvas[data-kind=input]');
    expect(input.colours).toBeGreaterThan(100);
    expect((await canvasStats(p, 'canvas[data-kind=residual]')).red).toBeGreaterThan(0);
    await shot(p, 'single-npy');
  });

  it('moves thresholds and verdicts with the FPR slider, from the calibration data, without a request', async () => {
    // An example whose ensemble p-value lies between the slider's ends (0.1% and 50%), whatever models are shipped.
    let example: string | undefined;
    let api: Awaited<ReturnType<typeof apiScore>> | undefined;
    for (const name of ['vortex_1.fits', 'vortex_2.fits', 'spherical_1.fits', 'spherical_2.fits', 'no_sub_1.fits', 'no_sub_2.fits']) {
      const r = await apiScore(join(WEB, 'examples', name));
      if (r.body.ensemble.pValue > 0.001 && r.body.ensemble.pValue <= 0.5) [example, api] = [name, r];
      if (example !== undefined) break;
    }
    expect(example, 'an example with 0.001 < ensemble p <= 0.5').toBeDefined();
    const p = await page();
    // Keyboard only: an example button, then the slider's Home and End keys.
    await p.focus(`button[data-example="${example}"]`);
    await p.keyboard.press('Enter');
    await p.waitForSelector('li[data-model=rbm] .histogram canvas');
    let requests = 0;
    p.on('request', (r) => {
      if (r.url().includes('/v1/')) requests++;
    });
    const histogram = 'li[data-model=dcae] .histogram canvas';
    const seen: Record<string, Record<string, string | null>> = {};
    const lineX: Record<string, number> = {};
    for (const [key, fpr] of [['Home', 0.001], ['End', 0.5]] as const) {
      await p.focus('#fpr');
      await p.keyboard.press(key);
      await p.waitForSelector(`[data-testid=fpr-value]:text("${fpr * 100}%")`);
      const v = (seen[key] = await verdicts(p));
      // The page's verdicts are the server's own at that FPR (asked for here, not by the page).
      const atFpr = await apiScore(join(WEB, 'examples', example!), `?fpr=${fpr}`);
      const word = (flagged: boolean) => (flagged ? 'flagged' : 'smooth');
      expect(v.ensemble, `ensemble at ${fpr}`).toBe(word(atFpr.body.ensemble.flagged));
      expect(v.ensemble).toBe(word(api!.body.ensemble.pValue <= fpr));
      for (const m of MODELS) {
        expect(v[m], `${m} at ${fpr}`).toBe(word(atFpr.body.models[m]!.flagged));
        expect(await p.textContent(`li[data-model=${m}] [data-testid=threshold]`)).toBe(atFpr.body.models[m]!.threshold.value.toExponential(2));
      }
      lineX[key] = (await colourColumn(p, histogram, THRESHOLD_RGB)).x;
      if (key === 'End') await shot(p, 'slider-fpr-50');
    }
    // Its ensemble p-value lies between the ends: smooth at 0.1%, anomalous at 50%.
    expect(seen.Home!.ensemble).toBe('smooth');
    expect(seen.End!.ensemble).toBe('flagged');
    expect(seen.Home).not.toEqual(seen.End);
    // A lower threshold (higher FPR) moves the line left.
    expect(lineX.End).toBeLessThan(lineX.Home! - 5);
    expect(requests).toBe(0);
  });

  it('runs a batch of 50: progress, sortable and filterable table, verdicts that follow the slider, CSV and JSON', async () => {
    const files = [...simulate('no_sub', 17, 103, fitsFile), ...simulate('spherical', 17, 103, fitsFile), ...simulate('vortex', 16, 103, fitsFile)];
    const p = await page();
    // Every text the progress line shows, recorded as the DOM changes.
    await p.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { progress: string[] }).progress = seen;
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid=batch-progress]')?.textContent;
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await upload(p, files);
    await p.waitForSelector('[data-testid=batch-progress]:text("50 of 50 scored")', { timeout: 60_000 });
    const progress = await p.evaluate(() => (window as unknown as { progress: string[] }).progress);
    expect(progress[0]).toBe('scoring… 0 of 50');
    expect(progress.at(-1)).toMatch(/^50 of 50 scored in \d+\.\d s$/);
    expect(await p.$eval('progress', (e) => [e.value, e.max])).toEqual([50, 50]);
    const rows = 'table.batch-table tbody tr';
    expect(await p.locator(rows).count()).toBe(50);
    // Thumbnails drawn from the files themselves.
    const thumb = await canvasStats(p, `${rows}:first-child canvas[data-kind=thumbnail]`);
    expect(thumb.colours).toBeGreaterThan(50);

    // Sort by ensemble p, ascending then descending.
    const pValues = async () => (await p.locator(`${rows} td:nth-child(4)`).allTextContents()).map(Number);
    await p.click('th >> text=ensemble p');
    const asc = await pValues();
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    await p.click('th >> text=ensemble p');
    const desc = await pValues();
    expect(desc).toEqual([...desc].sort((a, b) => b - a));

    // Filter by name and by verdict.
    await p.fill('input[type=search]', 'vortex');
    expect(await p.locator(rows).count()).toBe(16);
    await p.fill('input[type=search]', '');

    // The slider changes the batch's verdicts without new requests.
    const flaggedRows = () => p.locator(`${rows}[data-status=flagged]`).count();
    await p.focus('#fpr');
    await p.keyboard.press('Home');
    const strict = await flaggedRows();
    await p.keyboard.press('End');
    const loose = await flaggedRows();
    expect(loose).toBeGreaterThan(strict);
    await p.selectOption('select >> nth=-1', 'flagged');
    expect(await p.locator(rows).count()).toBe(loose);
    await p.selectOption('select >> nth=-1', 'all');
    // The drift summary under the table, once the batch is in: one card per model of the set.
    await p.waitForSelector('[data-testid=drift-panel] [data-testid=drift-models]', { timeout: 30_000 });
    expect(await p.locator('[data-testid=drift-models] li').count()).toBe(MODELS.length);
    expect(await p.locator('[data-testid=drift-warnings], [data-testid=drift-ok]').count()).toBe(1);
    await shot(p, 'batch');

    // CSV: every row, verdicts at the slider's FPR (50%), the API's numbers.
    const [csvDownload] = await Promise.all([p.waitForEvent('download'), p.click('text=Download CSV')]);
    expect(csvDownload.suggestedFilename()).toBe('darklens-batch.csv');
    const csv = readFileSync(await csvDownload.path(), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(51);
    const header = csv[0]!.split(',');
    expect(header.slice(0, 7)).toEqual(['index', 'name', 'verdict', 'fpr', 'ensemble_p', 'ensemble_method', 'ensemble_flagged']);
    expect(header).toContain('rbm_loss');
    const records = csv.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i): [string, string] => [header[i]!, v])));
    expect(records.filter((r) => r.verdict === 'flagged')).toHaveLength(loose);
    for (const r of records) {
      expect(r.fpr).toBe('0.5');
      expect(r.ensemble_flagged).toBe(String(Number(r.ensemble_p) <= 0.5));
    }
    expect(new Set(records.map((r) => r.name)).size).toBe(50);

    const [jsonDownload] = await Promise.all([p.waitForEvent('download'), p.click('text=Download JSON')]);
    const json = JSON.parse(readFileSync(await jsonDownload.path(), 'utf8')) as { fpr: number; rows: { verdict: string }[]; drift: { cutouts: number }[] };
    expect(json.fpr).toBe(0.5);
    expect(json.drift.map((d) => d.cutouts)).toEqual([50]);
    expect(json.rows.filter((r) => r.verdict === 'flagged')).toHaveLength(loose);
  });

  it('offers exactly the API\'s model sets, sends the one chosen as survey=, and shows which set scored a cutout and why', async () => {
    const chooser = 'select[data-testid=set-choice]';
    const p = await page();
    await p.waitForFunction((sel) => document.querySelector<HTMLSelectElement>(sel)?.options.length ?? 0, chooser);
    const options = await p.$$eval(`${chooser} option`, (os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, label: o.textContent ?? '' })));
    expect(options.map((o) => o.value)).toEqual(['auto', ...list.sets.map((s) => s.name)]);
    expect(options[0]!.label).toBe('auto (from the file header)');
    for (const [i, s] of list.sets.entries()) {
      const label = options[i + 1]!.label;
      expect(label.startsWith(s.name), label).toBe(true);
      expect(label).toContain(`${Number((s.domain.pixelScale as number).toPrecision(3))}"/px`);
      expect(label.endsWith('(default)'), label).toBe(s.name === list.defaultSet);
    }
    expect(await p.inputValue(chooser)).toBe('auto');

    // Auto: no survey= goes out, and the page shows the set the API routed the file to, and why.
    const [fits] = simulate('no_sub', 1, 105, fitsFile);
    const auto = await apiScore(fits!);
    const isScore = (r: { url(): string }) => r.url().includes('/v1/score?');
    const [first] = await Promise.all([p.waitForRequest(isScore), upload(p, [fits!])]);
    expect(new URL(first.url()).searchParams.has('survey')).toBe(false);
    const shown = '[data-testid=set]';
    await p.waitForSelector(shown);
    expect(await p.getAttribute(shown, 'data-set')).toBe(auto.body.set.name);
    expect(await p.getAttribute(shown, 'data-routed-by')).toBe(auto.body.set.routedBy);
    expect(await p.textContent(shown)).toContain(auto.body.set.note);

    // Naming a set scores the cutout on screen again, with survey=. The set the header chose: a
    // 0.1"/px FITS forced onto a 0.2"/px set would be refused (its field covers a quarter of that set's).
    const named = list.sets.find((x) => x.name === auto.body.set.name)!;
    const [again] = await Promise.all([p.waitForRequest(isScore), p.selectOption(chooser, named.name)]);
    expect(new URL(again.url()).searchParams.get('survey')).toBe(named.name);
    await p.waitForSelector(`${shown}[data-routed-by=survey]`);
    const api = await apiScore(fits!, `?survey=${encodeURIComponent(named.name)}`);
    expect(await p.getAttribute(shown, 'data-set')).toBe(named.name);
    expect(await p.textContent(shown)).toContain(api.body.set.note);
    // The page's verdict is the API's (at its default 5%, the API's default thresholds' FPR here).
    const verdict = await p.getAttribute('[data-testid=ensemble] .verdict', 'data-verdict');
    expect(verdict).toBe(api.body.verdict === 'anomalous' ? 'flagged' : api.body.verdict);
    await shot(p, 'set-chosen');
  });

  it('warns when a cutout is out of its set\'s domain and never calls it anomalous, alone or in a batch', async () => {
    // Pixels twice as coarse as any set's: beyond what resampling may bridge, whichever set it goes to.
    const coarse = 2 * Math.max(...list.sets.map((s) => s.domain.pixelScale as number));
    const [ood] = simulate('vortex', 1, 106, (name, data) => fitsFile(`coarse_${name}`, data, coarse));
    const api = await apiScore(ood!);
    expect(api.body.domain.outOfDomain).toBe(true);
    expect(api.body.verdict).toBe('out of domain');
    const p = await page();
    await upload(p, [ood!]);
    const banner = p.locator('[data-testid=out-of-domain]');
    await banner.waitFor();
    const text = (await banner.textContent()) ?? '';
    expect(text).toContain(`Out of domain for set ${api.body.set.name}`);
    for (const r of api.body.domain.reasons) expect(text).toContain(r.message);
    // Not anomalous at any FPR: the loosest too.
    const anomalous = '.verdict[data-verdict=flagged], .ensemble.flagged, .model-score.flagged';
    await p.focus('#fpr');
    await p.keyboard.press('End');
    await p.waitForSelector('[data-testid=fpr-value]:text("50%")');
    expect(await p.locator(anomalous).count()).toBe(0);
    expect(await p.getAttribute('[data-testid=ensemble] .verdict', 'data-verdict')).toBe('out of domain');
    expect(await p.locator('li.model-score .verdict[data-verdict="out of domain"]').count()).toBe(Object.keys(api.body.models).length);
    await shot(p, 'out-of-domain');

    // In a batch: marked in the table, counted in the summary, and in the CSV.
    const files = [...simulate('no_sub', 2, 107, fitsFile), ood!];
    const sets = await Promise.all(files.map(async (f) => (await apiScore(f)).body.set.name));
    await upload(p, files);
    await p.waitForSelector('[data-testid=batch-progress]:text("3 of 3 scored")', { timeout: 60_000 });
    expect(await p.textContent('[data-testid=batch-summary]')).toContain('1 out of domain');
    const rows = 'table.batch-table tbody tr';
    expect(await p.locator(`${rows} [data-testid=row-set]`).allTextContents()).toEqual(sets);
    const marked = p.locator(`${rows}[data-status="out of domain"]`);
    expect(await marked.count()).toBe(1);
    expect(await marked.textContent()).toContain(basename(ood!));
    expect(await marked.locator('.verdict').textContent()).toBe('out of domain');
    expect(await p.locator(`${rows} .verdict[data-verdict="out of domain"]`).count()).toBe(1);
    await shot(p, 'batch-out-of-domain');

    const [csvDownload] = await Promise.all([p.waitForEvent('download'), p.click('text=Download CSV')]);
    const [header, ...lines] = readFileSync(await csvDownload.path(), 'utf8').trim().split('\n').map(csvFields);
    const records = lines.map((l) => Object.fromEntries(l.map((v, i): [string, string] => [header![i]!, v])));
    expect(records.map((r) => r.set)).toEqual(sets);
    const row = records.find((r) => r.name === basename(ood!))!;
    expect(row).toMatchObject({ verdict: 'out of domain', out_of_domain: 'true', ensemble_flagged: 'false', set: api.body.set.name });
    expect(row.domain_reasons).toBe(api.body.domain.reasons.map((r) => r.message).join('; '));
    expect(records.filter((r) => r.out_of_domain === 'false')).toHaveLength(2);
  });

  it('says clearly why a corrupt file is rejected, in the API\'s words', async () => {
    const good = readFileSync(join(WEB, 'examples', 'no_sub_1.fits'));
    const corrupt = join(dir, 'corrupt.fits');
    writeFileSync(corrupt, good.subarray(0, 4000)); // header intact, data cut short
    const api = await apiScore(corrupt);
    expect(api.status).toBeGreaterThanOrEqual(400);
    const p = await page();
    // Chromium logs every HTTP error answer as a console error; this one is expected.
    allowed = [new RegExp(`Failed to load resource: the server responded with a status of ${api.status}`)];
    await upload(p, [corrupt]);
    const alert = p.locator('[role=alert]');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('corrupt.fits was rejected');
    expect(text).toContain(api.body.error!.message);
    expect(text).toContain(api.body.error!.code);
    await shot(p, 'error');
  });

  it('shows model cards grouped by set: domain, default set, metrics, calibration histogram with threshold, ROC and score pictures, provenance', async () => {
    const p = await page();
    await p.click('nav >> text=Models');
    const [rbm, vae] = [defaultModel('rbm'), defaultModel('vae')];
    await p.waitForSelector(`article.card[data-model="${rbm}"] .histogram canvas`);
    // Every registered model once, under the sets the API lists: the default set first, marked.
    expect(await p.locator('article.card').count()).toBe(list.models.length);
    const inSets = new Set(list.sets.flatMap((s) => Object.values(s.models)));
    const order = [list.defaultSet, ...list.sets.filter((s) => !s.default).map((s) => s.name), ...(list.models.some((m) => !inSets.has(m.name)) ? [''] : [])];
    expect(await p.$$eval('section.model-set', (els) => els.map((e) => e.getAttribute('data-set')))).toEqual(order);
    expect(await p.textContent('[data-testid=default-set]')).toContain(list.defaultSet);
    expect(await p.locator('section.model-set .badge').allTextContents()).toEqual(['default']);
    const home = `section.model-set[data-set="${list.defaultSet}"]`;
    expect(await p.locator(`${home} .badge`).count()).toBe(1);
    for (const s of list.sets) {
      const scale = String(Number((s.domain.pixelScale as number).toPrecision(3)));
      expect(await p.textContent(`section.model-set[data-set="${s.name}"] [data-testid=set-domain]`), s.name).toContain(`${scale}"/px`);
    }
    for (const model of Object.values(list.sets.find((s) => s.default)!.models)) expect(await p.locator(`${home} article.card[data-model="${model}"]`).count(), model).toBe(1);

    await p.waitForFunction((sel) => [...document.querySelectorAll(`${sel} article.card img`)].every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0), home);
    const card = `article.card[data-model="${vae}"]`;
    const d = await detail(vae);
    expect(await p.textContent(card)).toContain('ROC AUC, pooled');
    expect(await p.textContent(card)).toContain(d.version);
    expect((await colourColumn(p, `${card} .histogram canvas`, THRESHOLD_RGB)).count).toBeGreaterThan(20);
    await p.click(`${card} summary`);
    if (typeof d.training.preset === 'string') expect(await p.textContent(card)).toContain(d.training.preset);
    await shot(p, 'models');
  });

  it('is readable on a phone', async () => {
    const p = await page({ width: 390, height: 844 });
    await p.click('button[data-example="spherical_1.fits"]');
    await p.waitForSelector('li[data-model=rbm] .histogram canvas');
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(p, 'phone');
  });
});
