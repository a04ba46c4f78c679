/**
 * `darklens models deploy|promote|rollback --target cloudflare --local` (and `npm run
 * worker:upload-models`, its wrapper) into the local R2 bucket that `wrangler dev` reads, then the
 * BUILT Worker in workerd on that very bucket: it serves what each command published.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoreResult } from '@darklens/functions';
import { expectOk, ROOT, runCli } from '../helpers/cli.js';
import { MODEL, smallRegistry } from '../helpers/deploy.js';
import { fitsOf, NEW_VERSION, simulatedLenses, SHIPPED_VERSION } from '../helpers/service.js';
import { startWorkerd } from '../helpers/workerd.js';

const SCRIPT = join(ROOT, 'scripts', 'r2-upload-models.mjs');
const upload = (args: string[]) => promisify(execFile)(process.execPath, [SCRIPT, ...args], { cwd: ROOT, timeout: 120_000 });
let dir: string;
let registry: string;
let state: string;
const local = () => ['--registry', registry, '--target', 'cloudflare', '--local', '--persist-to', state];
const lens = simulatedLenses('no_sub', 1)[0]!;

/** The version of MODEL the Worker scores with, reading the local bucket as `wrangler dev` would. */
async function served(): Promise<string> {
  const rt = await startWorkerd({ models: null, r2Persist: join(state, 'v3', 'r2') });
  try {
    const r = await rt.fetch(new Request('http://worker/v1/score', { method: 'POST', body: fitsOf(lens) as BodyInit }));
    expect(r.status).toBe(200);
    return ((await r.json()) as ScoreResult).models[MODEL]!.version;
  } finally {
    await rt.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darklens-deploy-r2-'));
  registry = await smallRegistry(join(dir, 'registry'));
  state = join(dir, 'state');
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('models deploy --target cloudflare --local', () => {
  it('npm run worker:upload-models: a dry run prints the plan and creates nothing; it wants --remote or --local', async () => {
    const { stdout } = await upload(['--local', '--persist-to', state, '--models', registry, '--dry-run']);
    const puts = stdout.split('\n').filter((l) => l.startsWith('PUT  '));
    expect(puts).toHaveLength(19);
    expect(puts.at(-1)).toMatch(/^PUT {2}registry\.json .*last/);
    expect(stdout).toContain(`target r2://darklens-models (local: ${state}) (not read: no local bucket there yet`);
    expect(existsSync(state)).toBe(false);
    await expect(upload(['--dry-run'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--remote or --local/) as unknown });
  });

  it('deploys into the bucket the Worker reads, and promote and rollback change what it serves', async () => {
    const deployed = await upload(['--local', '--persist-to', state, '--models', registry]);
    expect(deployed.stdout).toMatch(/\[19\/19\] uploaded registry\.json\n/);
    // Workers start slowly on a busy machine: the Worker checks the deploy and the promote at once.
    const promoted = await runCli(['models', 'promote', MODEL, NEW_VERSION, ...local()], dir);
    expectOk(promoted);
    expect(promoted.stdout.split('\n').filter((l) => l.startsWith('PUT  ')).map((l) => l.split(/\s+/)[1]), 'the files are there: registry.json alone').toEqual(['registry.json']);
    expect(await served()).toBe(NEW_VERSION);

    expectOk(await runCli(['models', 'rollback', MODEL, ...local()], dir));
    expect(await served()).toBe(SHIPPED_VERSION);

    const { stdout } = await upload(['--local', '--persist-to', state, '--models', registry, '--delete', '--dry-run']);
    const deletes = stdout.split('\n').filter((l) => l.startsWith('DELETE '));
    expect(deletes[0]).toBe('DELETE registry.json');
    expect(deletes).toHaveLength(19);
  }, 240_000);
});
