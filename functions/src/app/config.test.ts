import { describe, expect, it } from 'vitest';
import { configFromEnv, DEFAULT_LIMITS } from './config.js';

describe('configFromEnv', () => {
  it('gives the defaults for an empty environment', () => {
    expect(configFromEnv({})).toEqual({ apiKeys: [], corsOrigins: [], limits: DEFAULT_LIMITS });
  });

  it('reads keys, origins and limits (MiB to bytes)', () => {
    const c = configFromEnv({
      DARKLENS_API_KEYS: ' a , b,,',
      DARKLENS_ADMIN_KEY: 'root',
      DARKLENS_CORS_ORIGINS: 'https://x.org',
      DARKLENS_MAX_BODY_MB: '2',
      DARKLENS_MAX_BATCH_ITEMS: '50',
      DARKLENS_MAX_SIDE: '512',
      DARKLENS_MAX_GUNZIP_MB: '16',
    });
    expect(c).toMatchObject({ apiKeys: ['a', 'b'], adminKey: 'root', corsOrigins: ['https://x.org'] });
    expect(c.limits).toMatchObject({ maxBodyBytes: 2 * 2 ** 20, maxBatchItems: 50, maxSide: 512, maxGunzipBytes: 16 * 2 ** 20, maxBatchBodyBytes: DEFAULT_LIMITS.maxBatchBodyBytes });
  });

  it.each(['0', '-3', 'many', 'NaN'])('refuses DARKLENS_MAX_SIDE=%s naming the variable', (v) => {
    expect(() => configFromEnv({ DARKLENS_MAX_SIDE: v })).toThrow(/DARKLENS_MAX_SIDE/);
  });
});
