import { describe, expect, it } from 'vitest';
import { fingerprintDifference, type Fingerprint } from './run-state.js';

const local: Fingerprint = { inputs: 'abc', files: 2, cutouts: 9, options: { models: 'rbm' }, registry: 'sha-local', format: 'csv' };
const api: Fingerprint = { ...local, registry: 'sha-served', service: 'http://127.0.0.1:8787' };

describe('the run a progress file belongs to', () => {
  it('is the same run for the same inputs, options and scorer', () => {
    expect(fingerprintDifference(local, { ...local })).toBeUndefined();
    expect(fingerprintDifference(api, { ...api })).toBeUndefined();
  });

  it('is another run when scored elsewhere: this machine, another service, or a service serving other models', () => {
    expect(fingerprintDifference(api, local)).toBe('it was scored on the service at http://127.0.0.1:8787, this run scores on this machine');
    expect(fingerprintDifference(local, api)).toBe('it was scored on this machine, this run scores on the service at http://127.0.0.1:8787');
    expect(fingerprintDifference(api, { ...api, service: 'https://lenses.example.org' })).toMatch(/^it was scored on the service at http:\/\/127\.0\.0\.1:8787, this run scores on the service at https:\/\/lenses\.example\.org$/);
    expect(fingerprintDifference(api, { ...api, registry: 'sha-newer' })).toBe('the models the service at http://127.0.0.1:8787 serves have changed since');
    expect(fingerprintDifference(local, { ...local, registry: 'sha-newer' })).toBe('the model registry has changed since');
  });
});
