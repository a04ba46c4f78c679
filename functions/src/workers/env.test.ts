import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../app/config.js';
import { settingsFromEnv, type WorkerEnv } from './env.js';

const bucket = { get: () => Promise.resolve(null), head: () => Promise.resolve(null) };

describe('settingsFromEnv', () => {
  it('gives the defaults for a bare env and ignores the bindings', () => {
    expect(settingsFromEnv({ MODELS: bucket })).toEqual({ config: DEFAULT_CONFIG, bucketName: 'MODELS', registryCheckMs: 30_000 });
  });

  it("reads the service settings as every runtime does, plus the Worker's own", () => {
    const env: WorkerEnv = {
      MODELS: bucket,
      DARKLENS_API_KEYS: 'a, b',
      DARKLENS_MAX_BODY_MB: '2',
      DARKLENS_MODELS_BUCKET: 'my-models',
      DARKLENS_SERVED_MODELS: ' vae ,rbm,',
      DARKLENS_REGISTRY_CHECK_SECONDS: '0',
    };
    const s = settingsFromEnv(env);
    expect(s.config.apiKeys).toEqual(['a', 'b']);
    expect(s.config.limits.maxBodyBytes).toBe(2 * 2 ** 20);
    expect(s).toMatchObject({ bucketName: 'my-models', models: ['vae', 'rbm'], registryCheckMs: 0 });
  });

  it.each([
    ['DARKLENS_REGISTRY_CHECK_SECONDS', 'soon'],
    ['DARKLENS_REGISTRY_CHECK_SECONDS', '-1'],
    ['DARKLENS_MAX_BATCH_MB', '0'],
  ])('refuses %s=%s naming it', (name, value) => {
    expect(() => settingsFromEnv({ MODELS: bucket, [name]: value })).toThrow(expect.objectContaining({ code: 'invalid_argument', message: expect.stringContaining(`${name}=${value}`) as unknown }) as Error);
  });
});
