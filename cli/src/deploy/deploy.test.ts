/**
 * The deploy layer on a folder target (the real file system): the plan uploads what is missing or
 * different and skips what is there, registry.json goes last, a dry run changes nothing, a file that
 * does not match the registry is refused before anything is sent, and a failed upload leaves the
 * target's registry.json as it was.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRegistry } from '@darklens/core';
import { verifyRegistry } from '@darklens/training';
import { ROOT } from '../../../test/helpers/cli.js';
import { deployRegistry, folderTarget, undeployRegistry, type DeployTarget } from './index.js';

const SHIPPED = join(ROOT, 'models');
let dir: string;
/** A small registry: the shipped rbm's two versions. */
let source: string;

/** `target` recording the keys it writes and removes, in order; `failOn` makes that key's upload fail. */
function recording(target: DeployTarget, failOn?: string): DeployTarget & { puts: string[]; removes: string[] } {
  const puts: string[] = [];
  const removes: string[] = [];
  return {
    ...target,
    puts,
    removes,
    async remove(key) {
      await target.remove(key);
      removes.push(key);
    },
    async put(key, bytes, sha256) {
      if (key === failOn) throw new Error(`injected failure writing ${key}`);
      await target.put(key, bytes, sha256);
      puts.push(key);
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darklens-deploy-'));
  source = join(dir, 'source');
  await deployRegistry({ registryDir: SHIPPED, target: folderTarget(source), only: ['rbm'] });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('deploying a registry', () => {
  it('uploads every file the target lacks, registry.json last, and the copy verifies', async () => {
    const lines: string[] = [];
    const target = recording(folderTarget(join(dir, 'served')));
    const r = await deployRegistry({ registryDir: source, target, out: (l) => lines.push(l) });
    const files = r.plan.steps.map((s) => s.file.key);
    expect(files.at(-1)).toBe('registry.json');
    expect(r.plan.steps.every((s) => s.op === 'put' && s.reason === 'missing')).toBe(true);
    expect(target.puts).toHaveLength(files.length);
    expect(target.puts.at(-1), 'written after every file it names').toBe('registry.json');
    expect(new Set(target.puts)).toEqual(new Set(files));
    expect(lines.filter((l) => l.startsWith('PUT  '))).toHaveLength(files.length);
    expect(lines.find((l) => l.startsWith('PUT  registry.json'))).toMatch(/sha256 [0-9a-f]{64} {2}\(missing, last/);
    expect(await verifyRegistry(join(dir, 'served'))).toEqual([]);
    expect(Object.keys(parseRegistry(await readFile(join(dir, 'served', 'registry.json'), 'utf8')).models)).toEqual(['rbm']);
  });

  it('skips what the target holds and re-uploads a file whose content differs at the same size', async () => {
    const again = recording(folderTarget(join(dir, 'served')));
    const same = await deployRegistry({ registryDir: source, target: again });
    expect(same.plan.steps.every((s) => s.op === 'skip')).toBe(true);
    expect(again.puts).toEqual([]);

    const card = join(dir, 'served', 'rbm', 'v1', 'card.md');
    const text = await readFile(card, 'utf8');
    await writeFile(card, text.replace(/.$/s, text.endsWith('!') ? '?' : '!'));
    const fix = recording(folderTarget(join(dir, 'served')));
    const r = await deployRegistry({ registryDir: source, target: fix });
    expect(r.plan.steps.filter((s) => s.op === 'put').map((s) => [s.file.key, s.op === 'put' && s.reason])).toEqual([['rbm/v1/card.md', 'changed']]);
    expect(fix.puts).toEqual(['rbm/v1/card.md']);
    expect(await readFile(card, 'utf8')).toBe(text);
  });

  it('a dry run prints the plan and writes nothing', async () => {
    const lines: string[] = [];
    const r = await deployRegistry({ registryDir: source, target: folderTarget(join(dir, 'dry')), dryRun: true, out: (l) => lines.push(l) });
    expect(r.uploaded).toBe(0);
    expect(lines.at(-1)).toBe('dry run: nothing was uploaded');
    expect(lines.at(-2)).toMatch(/^13 to upload \([\d.]+ MB\), 0 already there$/);
    expect(existsSync(join(dir, 'dry'))).toBe(false);
  });

  it('refuses a registry whose file does not match its sha256, before sending anything', async () => {
    const bad = join(dir, 'bad');
    await cp(source, bad, { recursive: true });
    const onnx = join(bad, 'rbm', 'v2', 'model.onnx');
    const bytes = await readFile(onnx);
    bytes[bytes.length - 5]! ^= 0xff;
    await writeFile(onnx, bytes);
    const target = recording(folderTarget(join(dir, 'never')));
    await expect(deployRegistry({ registryDir: bad, target })).rejects.toMatchObject({
      code: 'integrity_mismatch',
      message: expect.stringMatching(/refusing to deploy .*1 registered file\(s\).*rbm\/v2\/model\.onnx: sha256 [0-9a-f]{64}, the registry says [0-9a-f]{64}/s) as unknown,
    });
    expect(target.puts).toEqual([]);
  });

  it('stops at a failed upload without writing registry.json, and a second run finishes the job', async () => {
    const served = join(dir, 'partial');
    const failing = recording(folderTarget(served), 'rbm/v2/calibration.json');
    await expect(deployRegistry({ registryDir: source, target: failing })).rejects.toThrow(/injected failure/);
    expect(failing.puts).not.toContain('registry.json');
    expect(existsSync(join(served, 'registry.json'))).toBe(false);
    const resumed = recording(folderTarget(served));
    await deployRegistry({ registryDir: source, target: resumed });
    expect(resumed.puts.length, 'only what the failed run left out').toBeLessThan(13);
    expect(resumed.puts).toContain('rbm/v2/calibration.json');
    expect(resumed.puts.at(-1)).toBe('registry.json');
    expect(await verifyRegistry(served)).toEqual([]);
  });

  it('undeploying removes registry.json first, then the files it names, and leaves other objects', async () => {
    const served = join(dir, 'served');
    await writeFile(join(served, 'notes.txt'), 'not the registry\'s');
    const target = recording(folderTarget(served));
    const keys = await undeployRegistry({ registryDir: source, target });
    expect(target.removes).toEqual(keys);
    expect(keys[0]).toBe('registry.json');
    expect(keys).toHaveLength(13);
    expect([...(await folderTarget(served).list()).keys()]).toEqual(['notes.txt']);
  });
});
