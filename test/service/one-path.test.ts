/**
 * One scoring path from training to serving: a model trained here, exported, calibrated on held-out
 * smooth lenses (`darklens calibrate` scores its ONNX file) and registered, then served: the service's
 * score of each calibration image, for every score of the graph, equals the calibration's own score of
 * that image (within 1e-6 relative). A p-value served is therefore a p-value against exactly the
 * distribution the service itself produces.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelCalibration, readNpy, scoreFile, writeNpy, type ModelCalibrationFile } from '@darklens/core';
import { createService, type BatchLine, type ScoreResult } from '@darklens/functions';
import { folderSource, ortNodeEngine } from '@darklens/functions/node';
import { calibrate, publishCheckpoint, resolveSpec, simulateToFiles, train } from '@darklens/training';
import { post } from '../helpers/service.js';

const quiet = { log: (): void => undefined, backend: 'wasm' as const };
let dir: string;
let calibration: ModelCalibrationFile;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'darklens-one-path-'));
  const spec = resolveSpec('model-a');
  await simulateToFiles({ spec, klass: 'no_sub', count: 24, seed: 31, outDir: dir, name: 'train', threads: 0 });
  await simulateToFiles({ spec, klass: 'no_sub', count: 20, seed: 32, outDir: dir, name: 'heldout', threads: 0 });
  const ck = join(dir, 'rbm');
  await train({ dataPath: join(dir, 'train.npy'), model: 'rbm', checkpointDir: ck, epochs: 2, batchSize: 8, seed: 3, ...quiet });
  const r = await calibrate({ checkpointDir: ck, dataPath: join(dir, 'heldout.npy'), resamples: 0, defaultScore: 'mf', ...quiet });
  calibration = r.file;
  await publishCheckpoint({ root: join(dir, 'registry'), checkpointDir: ck, commit: null, ...quiet });
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('one scoring path', () => {
  it('serves, for every calibrated score, exactly the scores the calibration was computed with', async () => {
    const registered = parseModelCalibration(JSON.parse(readFileSync(join(dir, 'registry', 'rbm', 'v1', 'calibration.json'), 'utf8')));
    expect(registered).toEqual(calibration);
    expect(registered.defaultScore).toBe('mf');
    const { app, store, ready } = createService({ source: folderSource(join(dir, 'registry')), engine: ortNodeEngine() });
    await ready;
    const stack = new Uint8Array(readFileSync(join(dir, 'heldout.npy')));
    for (const score of Object.keys(registered.scores)) {
      const r = await post(app, `/v1/score/batch?score=${score}`, stack);
      expect(r.status).toBe(200);
      const lines = (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as BatchLine);
      const served = lines.map((l) => (l as ScoreResult).models.rbm!.loss).sort((a, b) => a - b);
      const stored = scoreFile(registered, score).calibration.scores;
      expect(served).toHaveLength(stored.length);
      served.forEach((v, i) => expect(Math.abs(v - stored[i]!), `${score} #${i}: served ${v}, calibrated ${stored[i]}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(stored[i]!))));
      expect(lines.every((l) => (l as ScoreResult).models.rbm!.score === score)).toBe(true);
    }
    // Without score=, the calibration's default.
    const first = readNpy(stack).data.slice(0, 64 * 64);
    const one = (await (await post(app, '/v1/score', writeNpy(first, [64, 64]))).json()) as ScoreResult;
    expect(one.models.rbm!.score).toBe('mf');
    expect(scoreFile(registered, 'mf').calibration.scores.some((v) => Math.abs(v - one.models.rbm!.loss) <= 1e-6 * Math.max(1, Math.abs(v)))).toBe(true);
    store.close();
  });
});
