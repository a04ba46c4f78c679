import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { DarklensError } from '@darklens/core';
import { CONFIG_ENV, configFromEnv, type ServiceConfig } from '@darklens/functions';
import { DEFAULT_PORT, startServer, stdoutLog } from '@darklens/functions/node';
import { runSignal } from '../context.js';
import { int, num } from '../options.js';

/** The registry and the web page shipped in this repository. */
export const SHIPPED_MODELS = fileURLToPath(new URL('../../../models', import.meta.url));
export const SHIPPED_WEB = fileURLToPath(new URL('../../../web/dist', import.meta.url));

interface ServeOptions {
  port: number;
  host: string;
  models: string;
  web?: string;
  model?: string;
  threads: number;
  workers?: number;
  apiKey?: string[];
  adminKey?: string;
  cors?: string;
  maxBodyMb?: number;
  maxBatchMb?: number;
  maxBatchItems?: number;
  maxSide?: number;
  watch: boolean;
  drainSeconds: number;
  quiet?: boolean;
  jobs: string | false;
  inputs?: string;
  jobRetentionHours: number;
}

/** Where the server keeps jobs by default: the user's state folder, so they outlive the checkout's cwd. */
export function defaultJobsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DARKLENS_JOBS_DIR) return env.DARKLENS_JOBS_DIR;
  const state = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'darklens', 'jobs');
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

function nonNegative(name: string): (v: string) => number {
  return (v) => {
    const n = num(name)(v);
    if (n < 0) throw new DarklensError('invalid_argument', `${name} must be >= 0, got '${v}'`);
    return n;
  };
}

/** Flags over the DARKLENS_* environment over the defaults. */
function configFrom(o: ServeOptions): ServiceConfig {
  const config = configFromEnv(process.env);
  if (o.apiKey !== undefined) config.apiKeys = o.apiKey;
  if (o.adminKey !== undefined) config.adminKey = o.adminKey;
  if (o.cors !== undefined) config.corsOrigins = o.cors.split(',').map((s) => s.trim()).filter(Boolean);
  const mb = 2 ** 20;
  if (o.maxBodyMb !== undefined) config.limits.maxBodyBytes = o.maxBodyMb * mb;
  if (o.maxBatchMb !== undefined) config.limits.maxBatchBodyBytes = o.maxBatchMb * mb;
  if (o.maxBatchItems !== undefined) config.limits.maxBatchItems = o.maxBatchItems;
  if (o.maxSide !== undefined) config.limits.maxSide = o.maxSide;
  return config;
}

export function serveCommand(): Command {
  const env = Object.entries(CONFIG_ENV).map(([k, v]) => `  ${k.padEnd(26)} ${v}`).join('\n');
  return new Command('serve')
    .description('serve the scoring API (and the web page when built) with the registry\'s models; Ctrl-C drains and stops')
    .option('-p, --port <n>', 'port (env PORT)', int('port', 0, 65535), Number(process.env.PORT ?? DEFAULT_PORT))
    .option('--host <address>', 'interface to listen on (0.0.0.0 for every one)', '127.0.0.1')
    .option('--models <dir>', 'registry folder (env DARKLENS_MODELS_DIR; default: the shipped models)', process.env.DARKLENS_MODELS_DIR ?? SHIPPED_MODELS)
    .option('--web <dir>', 'built web page to serve at / (default: web/dist when built)')
    .option('--model <names>', 'serve only these models, comma-separated (default: all)')
    .option('--workers <n>', 'inference worker threads (default: one per core; 0 = on the main thread)', int('workers', 0, 256))
    .option('--threads <n>', 'onnxruntime intra-op threads per inference', int('threads', 1, 64), 1)
    .option('--api-key <key>', 'require this bearer key on scoring routes (repeatable; env DARKLENS_API_KEYS)', collect)
    .option('--admin-key <key>', 'enable POST /admin/reload behind this key (env DARKLENS_ADMIN_KEY)')
    .option('--cors <origins>', 'allowed CORS origins, comma-separated, or * (env DARKLENS_CORS_ORIGINS)')
    .option('--max-body-mb <n>', 'largest single-cutout body in MiB', int('max body', 1, 4096))
    .option('--max-batch-mb <n>', 'largest batch body in MiB', int('max batch body', 1, 65536))
    .option('--max-batch-items <n>', 'most cutouts per batch', int('max batch items', 1, 10_000_000))
    .option('--max-side <n>', 'largest cutout side in pixels', int('max side', 8, 65536))
    .option('--jobs <dir>', 'job store: accepted jobs and their results live here and survive restarts (env DARKLENS_JOBS_DIR)', defaultJobsDir())
    .option('--no-jobs', 'run no jobs (the /v1/jobs routes answer 503)')
    .option('--inputs <dir>', 'folder that keys jobs read from: POST /v1/jobs {"keys": [...]} names files under it (default: uploads only)')
    .option('--job-retention-hours <h>', 'how long a job and its results are kept', num('job retention hours'), 72)
    .option('--no-watch', 'do not reload when registry.json changes')
    .option('--drain-seconds <s>', 'on SIGTERM / Ctrl-C, how long requests in flight may finish before their connections are cut', nonNegative('drain seconds'), 30)
    .option('-q, --quiet', 'no request logs (errors are still logged)')
    .addHelpText('after', `\nEnvironment:\n${env}\n\nLogs are JSON lines on stdout. API docs: http://localhost:${DEFAULT_PORT}/docs`)
    .action(async (o: ServeOptions) => {
      if (!(o.jobRetentionHours > 0)) throw new DarklensError('invalid_argument', `--job-retention-hours must be > 0, got ${o.jobRetentionHours}`);
      const web = o.web ?? (existsSync(SHIPPED_WEB) ? SHIPPED_WEB : undefined);
      const log = stdoutLog();
      const server = await startServer({
        modelsDir: o.models,
        port: o.port,
        host: o.host,
        config: configFrom(o),
        watch: o.watch,
        drainMs: o.drainSeconds * 1000,
        threads: o.threads,
        ...(o.workers === undefined ? {} : { workers: o.workers }),
        ...(web === undefined ? {} : { webDir: web }),
        ...(o.jobs === false ? {} : { jobsDir: o.jobs, jobSettings: { retentionMs: o.jobRetentionHours * 3600_000 } }),
        ...(o.inputs === undefined ? {} : { inputsDir: o.inputs }),
        ...(o.model === undefined ? {} : { models: o.model.split(',').map((s) => s.trim()).filter(Boolean) }),
        log: (r) => {
          if (o.quiet && r.msg === 'request' && r.level !== 'error') return;
          log(r);
        },
      });
      process.stderr.write(`darklens: serving on ${server.url.replace('127.0.0.1', 'localhost')} (API docs at /docs); Ctrl-C stops\n`);
      await new Promise<void>((resolve) => runSignal.addEventListener('abort', () => resolve(), { once: true }));
      await server.close();
      log.flush();
    });
}
