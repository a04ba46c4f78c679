/** The real Node server (`darklens serve`): HTTP on 127.0.0.1, draining shutdown, registry file watch, startup errors. */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBadInput, requireBuiltCli, ROOT, runCli } from '../helpers/cli.js';
import type { ScoreResult } from '@darklens/functions';
import { fitsOf, npyStack, post, shippedService, simulatedLenses, SHIPPED_MODELS, SHIPPED_VERSION, SHIPPED_REGISTRY, NEW_VERSION } from '../helpers/service.js';
import { startServerProcess } from '../helpers/server.js';

const lens = simulatedLenses('no_sub', 1)[0]!;

describe('darklens serve', () => {
  it('serves the shipped models and drains an in-flight batch on SIGTERM before exiting 0', async () => {
    const server = await startServerProcess(['--quiet']);
    const loaded = server.logs.find((l) => l.msg === 'models loaded');
    // Every registered model (both sets) at its default; model-a's at the shipped version.
    expect(loaded).toMatchObject({ models: Object.entries(SHIPPED_REGISTRY.models).map(([name, m]) => `${name}@${m.default}`) });
    expect((loaded!.models as string[]).slice(0, 4)).toEqual(['dcae', 'vae', 'aae', 'rbm'].map((m) => `${m}@${SHIPPED_VERSION}`));
    expect(loaded!.engine).toMatch(/worker thread/);
    // Inference on the worker threads gives exactly what it gives on the calling thread.
    const single = await fetch(`${server.url}/v1/score`, { method: 'POST', body: fitsOf(lens) as Uint8Array<ArrayBuffer> });
    expect(single.status).toBe(200);
    const inProcess = await shippedService();
    const expected = (await (await post(inProcess.app, '/v1/score', fitsOf(lens))).json()) as ScoreResult;
    inProcess.store.close();
    expect(((await single.json()) as ScoreResult).models).toEqual(expected.models);

    const n = 400;
    const res = await fetch(`${server.url}/v1/score/batch`, { method: 'POST', body: npyStack([lens], n) });
    expect(res.status).toBe(200);
    const exit = server.stop('SIGTERM'); // while the batch is still streaming
    const lines = (await res.text()).trimEnd().split('\n');
    expect(lines).toHaveLength(n);
    expect(JSON.parse(lines[n - 1]!)).toMatchObject({ index: n - 1 });
    expect(await exit).toBe(0);
    await expect(fetch(`${server.url}/v2/health/live`)).rejects.toThrow();
  });

  describe('registry watch', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'darklens-watch-'));
      await cp(SHIPPED_MODELS, dir, { recursive: true });
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('reloads when registry.json changes, and keeps serving when the new registry is broken', async () => {
      const server = await startServerProcess(['--models', dir, '--model', 'rbm,dcae']);
      const version = async (): Promise<string> => {
        const r = (await (await fetch(`${server.url}/v1/models`)).json()) as { models: { name: string; version: string }[] };
        return r.models.find((m) => m.name === 'rbm')!.version;
      };
      expect(await version()).toBe(SHIPPED_VERSION);
      await cp(join(dir, 'rbm', SHIPPED_VERSION), join(dir, 'rbm', NEW_VERSION), { recursive: true });
      const reg = JSON.parse(await readFile(join(dir, 'registry.json'), 'utf8')) as { models: Record<string, { default: string; previousDefaults: string[]; versions: Record<string, unknown> }> };
      reg.models.rbm!.versions[NEW_VERSION] = reg.models.rbm!.versions[SHIPPED_VERSION];
      reg.models.rbm!.previousDefaults.push(SHIPPED_VERSION);
      reg.models.rbm!.default = NEW_VERSION;
      await writeFile(join(dir, 'registry.json.tmp'), JSON.stringify(reg));
      await cp(join(dir, 'registry.json.tmp'), join(dir, 'registry.json'));
      const deadline = Date.now() + 15_000;
      while ((await version()) !== NEW_VERSION && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await version()).toBe(NEW_VERSION);
      expect(server.logs.some((l) => l.msg === 'registry reloaded')).toBe(true);

      await writeFile(join(dir, 'registry.json'), '{ not json');
      const until = Date.now() + 15_000;
      while (!server.logs.some((l) => l.msg === 'registry reload failed; still serving the previous models') && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      expect(server.logs.some((l) => l.level === 'error' && String(l.msg).startsWith('registry reload failed'))).toBe(true);
      expect(await version()).toBe(NEW_VERSION);
      expect(await server.stop()).toBe(0);
    });
  });

  describe('shutdown with inference in flight', () => {
    // Ending a worker thread inside an onnxruntime run aborted the whole process (SIGABRT from an
    // uncaught C++ Napi::Error): this is how a drain cut at its deadline, e.g. on a busy machine, died.
    it('cuts a batch at the drain deadline, lets the step in progress finish and exits 0', async () => {
      const server = await startServerProcess(['--quiet', '--drain-seconds', '0.05']);
      const n = 3000;
      const res = await fetch(`${server.url}/v1/score/batch`, { method: 'POST', body: npyStack([lens], n) });
      expect(res.status).toBe(200);
      const exit = server.stop('SIGTERM');
      const text = await res.text().catch(() => ''); // the connection is cut mid-stream
      expect(text.split('\n').length, 'the batch was cut').toBeLessThan(n);
      expect(await exit, server.stderr()).toBe(0);
      expect(server.stderr()).not.toMatch(/Napi::Error|terminate called/);
    });

    it('closing the worker pool answers every run already sent, then the threads end and the process exits 0', async () => {
      requireBuiltCli();
      const script = `
        import { readFileSync } from 'node:fs';
        import { ortWorkerEngine } from ${JSON.stringify(join(ROOT, 'functions/dist/node/index.js'))};
        const engine = ortWorkerEngine({ workers: 2 });
        const s = await engine.createSession(readFileSync(${JSON.stringify(join(SHIPPED_MODELS, 'vae/v1/model.onnx'))}));
        const runs = Array.from({ length: 8 }, () => s.run({ input: { dims: [64, 1, 64, 64], data: new Float32Array(64 * 4096) } }).then(() => 'ok', (e) => e.message));
        await Promise.race(runs);
        await engine.close();
        const late = await s.run({ input: { dims: [1, 1, 64, 64], data: new Float32Array(4096) } }).then(() => 'ran', (e) => e.message);
        console.log(JSON.stringify({ runs: await Promise.all(runs), late }));`;
      const dir = await mkdtemp(join(tmpdir(), 'darklens-pool-'));
      await writeFile(join(dir, 'close.mjs'), script);
      const r = await new Promise<{ code: number | NodeJS.Signals; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [join(dir, 'close.mjs')], (err, stdout, stderr) => resolve({ code: err ? (err.signal ?? Number(err.code)) : 0, stdout, stderr }));
      });
      await rm(dir, { recursive: true, force: true });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { runs: string[]; late: string };
      expect(out.runs).toEqual(new Array(8).fill('ok'));
      expect(out.late).toMatch(/closed/);
    });
  });

  it('refuses a missing registry folder and bad flags with exit 2 and a clear message', async () => {
    expectBadInput(await runCli(['serve', '--models', join(tmpdir(), 'no-such-registry'), '--port', '0'], ROOT), /registry\.json/);
    expectBadInput(await runCli(['serve', '--port', '70000'], ROOT), /port/);
    const help = await runCli(['serve', '--help'], ROOT);
    expect(help.stdout).toMatch(/DARKLENS_API_KEYS/);
    expect(help.stdout).toMatch(/--max-batch-items/);
  });
});
