import { describe, expect, it } from 'vitest';
import { isDarklensError } from '../errors.js';
import { parseRegistry, resolveVersion, sha256Hex, verifyFile, type Registry } from './registry.js';

const file = { sha256: 'a'.repeat(64), bytes: 3 };
const version = {
  createdAt: '2026-11-29T00:00:00Z',
  files: { 'model.onnx': file },
  input: { width: 64, height: 64, pixelScale: 0.1, normalization: 'minmax' },
  training: {},
  metrics: {},
  onnx: { file: 'model.onnx', opset: 17, irVersion: 8, outputs: ['reconstruction', 'score'] },
};
const good: Registry = { format: 1, models: { dcae: { default: 'v1', previousDefaults: [], versions: { v1: version } } } } as unknown as Registry;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isDarklensError(e) ? e.code : `not a DarklensError: ${String(e)}`;
  }
  return 'no error';
}

describe('registry index', () => {
  it('parses a valid index and resolves default and named versions', () => {
    const r = parseRegistry(JSON.stringify(good));
    expect(resolveVersion(r, 'dcae').version).toBe('v1');
    expect(resolveVersion(r, 'dcae', 'v1').entry.onnx.file).toBe('model.onnx');
    expect(codeOf(() => resolveVersion(r, 'vae'))).toBe('not_found');
    expect(codeOf(() => resolveVersion(r, 'dcae', 'v2'))).toBe('not_found');
    for (const inherited of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(codeOf(() => resolveVersion(r, inherited)), inherited).toBe('not_found');
      expect(codeOf(() => resolveVersion(r, 'dcae', inherited)), inherited).toBe('not_found');
    }
  });

  it('refuses malformed indexes with bad_header', () => {
    type Mutable = {
      format: number;
      models: Record<string, { default: string; versions: Record<string, { files: Record<string, { sha256: string; bytes: number }>; onnx: { file: string } }> }>;
    };
    const mutate = (f: (j: Mutable) => void): string => {
      const j = JSON.parse(JSON.stringify(good)) as Mutable;
      f(j);
      return codeOf(() => parseRegistry(JSON.stringify(j)));
    };
    expect(codeOf(() => parseRegistry('{'))).toBe('bad_header');
    expect(mutate((j) => (j.format = 2))).toBe('bad_header');
    expect(mutate((j) => (j.models.dcae!.default = 'v9'))).toBe('bad_header');
    expect(mutate((j) => (j.models.dcae!.versions.v1!.files['model.onnx']!.sha256 = 'xyz'))).toBe('bad_header');
    expect(mutate((j) => (j.models.dcae!.versions.v1!.onnx.file = 'other.onnx'))).toBe('bad_header');
    expect(mutate((j) => (j.models['../etc'] = j.models.dcae!))).toBe('bad_header');
    expect(mutate((j) => (j.models.dcae!.versions.v1!.files['../x'] = file))).toBe('bad_header');
  });

  it('hashes with WebCrypto and refuses files whose size or digest differ', async () => {
    const abc = new TextEncoder().encode('abc');
    const digest = await sha256Hex(abc);
    expect(digest).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'); // FIPS 180-2 example
    await expect(verifyFile(abc, { sha256: digest, bytes: 3 }, 'abc')).resolves.toBeUndefined();
    await expect(verifyFile(abc, { sha256: 'b'.repeat(64), bytes: 3 }, 'abc')).rejects.toMatchObject({ code: 'integrity_mismatch' });
    await expect(verifyFile(abc, { sha256: digest, bytes: 4 }, 'abc')).rejects.toMatchObject({ code: 'integrity_mismatch' });
  });
});
