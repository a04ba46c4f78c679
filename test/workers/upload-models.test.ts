/**
 * `npm run worker:upload-models` puts a registry into R2 with wrangler's own `r2 object put` (here the
 * local bucket of `wrangler dev`, --local --persist-to; --remote differs only by that flag), the Worker
 * serves what it put there, and --delete takes it away.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoreResult } from '@darklens/functions';
import { ROOT } from '../helpers/cli.js';
import { fitsOf, simulatedLenses, SHIPPED_MODELS, SHIPPED_VERSION } from '../helpers/service.js';
import { startWorkerd } from '../helpers/workerd.js';

const SCRIPT = join(ROOT, 'scripts', 'r2-upload-models.mjs');
const run = (args: string[]) => promisify(execFile)(process.execPath, [SCRIPT, ...args], { cwd: ROOT, timeout: 240_000 });
let dir: string;
/** Files of each model's versions in the shipped registry. */
const registry = JSON.parse(readFileSync(join(SHIPPED_MODELS, 'registry.json'), 'utf8')) as { models: Record<string, { versions: Record<string, { files: Record<string, unknown> }> }> };
const filesOf = (model: string): number => Object.values(registry.models[model]!.versions).reduce((n, v) => n + Object.keys(v.files).length, 0);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darklens-r2-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('npm run worker:upload-models', () => {
  it('plans every file of the registry under its path, registry.json last (first when deleting), and refuses unclear requests', async () => {
    const { stdout } = await run(['--remote', '--dry-run']);
    const keys = stdout.split('\n').flatMap((l) => /^\[\d+\/\d+\] darklens-models\/(.+)$/.exec(l)?.slice(1) ?? []);
    expect(keys).toHaveLength(Object.keys(registry.models).reduce((n, m) => n + filesOf(m), 0) + 1);
    expect(keys.at(-1)).toBe('registry.json');
    expect(keys).toContain('vae/v1/model.onnx');
    const deletes = (await run(['--remote', '--delete', '--only', 'vae', '--dry-run'])).stdout.split('\n').filter((l) => l.includes('delete '));
    expect(deletes[0]).toMatch(/delete darklens-models\/registry\.json$/);
    expect(deletes).toHaveLength(filesOf('vae') + 1);
    await expect(run(['--dry-run'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--remote or --local/) as unknown });
    await expect(run(['--local', '--only', 'nope', '--dry-run'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/nope/) as unknown });
  });

  it('uploads into the local bucket that the Worker then serves, and deletes it again', async () => {
    await run(['--local', '--persist-to', dir, '--only', 'rbm']);
    const rt = await startWorkerd({ models: null, r2Persist: join(dir, 'v3', 'r2') });
    try {
      const models = (await (await rt.fetch(new Request('http://worker/v1/models'))).json()) as { models: { name: string }[] };
      expect(models.models.map((m) => m.name)).toEqual(['rbm']);
      const r = await rt.fetch(new Request('http://worker/v1/score', { method: 'POST', body: fitsOf(simulatedLenses('no_sub', 1)[0]!) as BodyInit }));
      expect(r.status).toBe(200);
      expect(((await r.json()) as ScoreResult).models.rbm!.version).toBe(SHIPPED_VERSION);
    } finally {
      await rt.close();
    }
    await run(['--local', '--persist-to', dir, '--only', 'rbm', '--delete']);
    const empty = await startWorkerd({ models: null, r2Persist: join(dir, 'v3', 'r2') });
    try {
      const r = await empty.fetch(new Request('http://worker/v1/models'));
      expect(r.status).toBe(503);
      expect(await r.text()).toMatch(/registry\.json does not exist/);
    } finally {
      await empty.close();
    }
  }, 300_000);
});
