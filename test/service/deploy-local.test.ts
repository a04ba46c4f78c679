/**
 * `darklens models promote|rollback --target local` under load: the real server (`darklens serve`)
 * reads a folder the deploy layer publishes to, many /v1/score requests run without pause while the
 * default version flips four times, and not one of them fails, while the version the answers name
 * follows every flip.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoreResult } from '@darklens/functions';
import { deployRegistry, folderTarget } from '@darklens/cli/deploy';
import { promoteIn, rollbackIn } from '@darklens/training';
import { changeAndPublish } from '../../cli/src/commands/models-deploy.js';
import { expectOk, runCli } from '../helpers/cli.js';
import { MODEL, smallRegistry } from '../helpers/deploy.js';
import { startServerProcess, type ServerProcess } from '../helpers/server.js';
import { fitsOf, NEW_VERSION, simulatedLenses, SHIPPED_VERSION } from '../helpers/service.js';

const CLIENTS = 8;
let dir: string;
let registry: string;
let served: string;
let server: ServerProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darklens-deploy-local-'));
  registry = await smallRegistry(join(dir, 'registry'));
  served = join(dir, 'served');
  await deployRegistry({ registryDir: registry, target: folderTarget(served) });
  server = await startServerProcess(['--models', served, '--quiet']);
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a local deploy under load', () => {
  it('flips the served version four times with zero failed requests', async () => {
    const body = fitsOf(simulatedLenses('no_sub', 1)[0]!) as Uint8Array<ArrayBuffer>;
    const answers: { status: number; version?: string; error?: string }[] = [];
    let stop = false;
    const client = async (): Promise<void> => {
      while (!stop) {
        try {
          const r = await fetch(`${server.url}/v1/score?models=${MODEL}`, { method: 'POST', body });
          const text = await r.text();
          answers.push(r.status === 200 ? { status: 200, version: (JSON.parse(text) as ScoreResult).models[MODEL]!.version } : { status: r.status, error: text.slice(0, 300) });
        } catch (e) {
          answers.push({ status: 0, error: String(e) });
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, client);
    /** Waits until an answer given after `from` names `version`. */
    const until = async (version: string, from: number): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!answers.slice(from).some((a) => a.version === version) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(answers.slice(from).map((a) => a.version), `an answer from ${version} after the flip`).toContain(version);
    };

    try {
      await until(SHIPPED_VERSION, 0);
      const flips: [string[], string][] = [
        [['promote', MODEL, NEW_VERSION], NEW_VERSION],
        [['promote', MODEL, 'v1'], 'v1'],
        [['rollback', MODEL], NEW_VERSION],
        [['rollback', MODEL], SHIPPED_VERSION],
      ];
      for (const [i, [args, version]] of flips.entries()) {
        const from = answers.length;
        if (i === 0) {
          const r = await runCli(['models', ...args, '--registry', registry, '--target', 'local', '--dir', served], dir);
          expectOk(r);
          expect(r.stdout).toMatch(/^PUT {2}registry\.json /m);
        } else {
          // The same command in this process: a CLI start under this load takes many seconds on a busy 2-core machine.
          const lines: string[] = [];
          await changeAndPublish({ registry, target: 'local', dir: served }, (reg) => (args[0] === 'promote' ? (promoteIn(reg, MODEL, args[2]!), 'promoted') : (rollbackIn(reg, MODEL), 'rolled back')), (l) => lines.push(l));
          expect(lines.filter((l) => l.startsWith('PUT  ')).map((l) => l.split(/\s+/)[1])).toEqual(['registry.json']);
        }
        await until(version, from);
      }
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    const failed = answers.filter((a) => a.status !== 200);
    expect(failed, 'every request during the swaps answered 200').toEqual([]);
    expect(answers.length).toBeGreaterThan(4 * CLIENTS);
    expect(server.logs.filter((l) => l.msg === 'registry reloaded').length).toBeGreaterThanOrEqual(4);
  }, 240_000);
});
