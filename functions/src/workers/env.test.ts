import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../app/config.js';
import { jobParts, settingsFromEnv, type WorkerEnv } from './env.js';
import type { JobBucket } from './r2-blob-store.js';

const bucket = { get: () => Promise.resolve(null), head: () => Promise.resolve(null) };
const jobsBucket: JobBucket = {
  put: () => Promise.resolve(),
  get: () => Promise.resolve(null),
  list: () => Promise.resolve({ objects: [], truncated: false }),
  delete: () => Promise.resolve(),
};
const queue = { sendBatch: () => Promise.resolve() };

describe('settingsFromEnv', () => {
  it('gives the defaults for a bare env and ignores the bindings', () => {
    expect(settingsFromEnv({ MODELS: bucket, JOBS: jobsBucket, JOBS_QUEUE: queue })).toEqual({
      config: DEFAULT_CONFIG,
      bucketName: 'MODELS',
      registryCheckMs: 30_000,
      jobs: {},
      jobsBucketName: 'JOBS',
      inputsBucketName: 'INPUTS',
      deadLetterQueue: 'darklens-jobs-dlq',
    });
  });

  it("reads the service settings as every runtime does, plus the Worker's own", () => {
    const env: WorkerEnv = {
      MODELS: bucket,
      DARKLENS_API_KEYS: 'a, b',
      DARKLENS_MAX_BODY_MB: '2',
      DARKLENS_MODELS_BUCKET: 'my-models',
      DARKLENS_SERVED_MODELS: ' vae ,rbm,',
      DARKLENS_REGISTRY_CHECK_SECONDS: '0',
      DARKLENS_JOB_RETENTION_HOURS: '1.5',
      DARKLENS_JOBS_BUCKET: 'my-jobs',
      DARKLENS_INPUTS_BUCKET: 'my-survey',
      DARKLENS_JOBS_DEAD_LETTER_QUEUE: 'my-dlq',
    };
    const s = settingsFromEnv(env);
    expect(s.config.apiKeys).toEqual(['a', 'b']);
    expect(s.config.limits.maxBodyBytes).toBe(2 * 2 ** 20);
    expect(s).toMatchObject({ bucketName: 'my-models', models: ['vae', 'rbm'], registryCheckMs: 0, jobs: { retentionMs: 5_400_000 } });
    expect(s).toMatchObject({ jobsBucketName: 'my-jobs', inputsBucketName: 'my-survey', deadLetterQueue: 'my-dlq' });
  });

  it.each([
    ['DARKLENS_REGISTRY_CHECK_SECONDS', 'soon'],
    ['DARKLENS_REGISTRY_CHECK_SECONDS', '-1'],
    ['DARKLENS_MAX_BATCH_MB', '0'],
    ['DARKLENS_JOB_RETENTION_HOURS', '0'],
    ['DARKLENS_JOB_RETENTION_HOURS', 'a week'],
  ])('refuses %s=%s naming it', (name, value) => {
    expect(() => settingsFromEnv({ MODELS: bucket, [name]: value })).toThrow(expect.objectContaining({ code: 'invalid_argument', message: expect.stringContaining(`${name}=${value}`) as unknown }) as Error);
  });
});

describe('jobParts', () => {
  it('gives no jobs (the routes answer 503) unless both JOBS and JOBS_QUEUE are bound', () => {
    for (const env of [{ MODELS: bucket }, { MODELS: bucket, JOBS: jobsBucket }, { MODELS: bucket, JOBS_QUEUE: queue }]) {
      expect(jobParts(env, settingsFromEnv(env))).toBeUndefined();
    }
  });

  it('builds the R2 store and the queue, the inputs store only with INPUTS, and the settings read', () => {
    const env: WorkerEnv = { MODELS: bucket, JOBS: jobsBucket, JOBS_QUEUE: queue, DARKLENS_JOBS_BUCKET: 'darklens-jobs', DARKLENS_JOB_RETENTION_HOURS: '2' };
    const parts = jobParts(env, settingsFromEnv(env))!;
    expect(parts.storage.location).toBe('r2://darklens-jobs');
    expect(parts.inputs).toBeUndefined();
    expect(parts.settings).toEqual({ retentionMs: 7_200_000 });
    const withInputs = { ...env, INPUTS: jobsBucket, DARKLENS_INPUTS_BUCKET: 'survey' };
    expect(jobParts(withInputs, settingsFromEnv(withInputs))!.inputs!.location).toBe('r2://survey');
  });
});
