import { describe, expect, it } from 'vitest';
import { DarklensError } from '../errors.js';
import { IMPLICIT_SET, registrySets, restrictRegistry, setEnsembles, type RegistrySet } from './model-sets.js';
import { parseRegistry } from './registry.js';

const file = { sha256: 'a'.repeat(64), bytes: 3 };
const version = (pixelScale: number, psfFwhm?: number) => ({
  createdAt: '2026-11-29T00:00:00Z',
  files: { 'model.onnx': file },
  input: { width: 64, height: 64, pixelScale, normalization: 'minmax', ...(psfFwhm !== undefined ? { psfFwhm } : {}) },
  training: {},
  metrics: {},
  onnx: { file: 'model.onnx', opset: 17, irVersion: 8, outputs: ['reconstruction', 'score'] },
});
const model = (pixelScale: number, psfFwhm?: number) => ({ default: 'v1', previousDefaults: [], versions: { v1: version(pixelScale, psfFwhm) } });
const ensemble = (...models: string[]) => ({ members: models.map((m) => ({ model: m, score: 'mse', weight: 1 })) });

function registry(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 1,
    models: { dcae: model(0.1, 0.24), rbm: model(0.1, 0.24), 'lsst-rbm': model(0.2, 0.7) },
    ensembles: { default: ensemble('dcae', 'rbm'), 'lsst-default': ensemble('lsst-rbm'), mixed: ensemble('rbm', 'lsst-rbm') },
    defaultEnsemble: 'default',
    ...extra,
  };
}
const sets = {
  'model-a': { domain: { pixelScale: 0.1, psfFwhm: 0.24 }, models: { dcae: 'dcae', rbm: 'rbm' }, defaultEnsemble: 'default', aliases: ['hst'] },
  lsst: { domain: { pixelScale: 0.2, psfFwhm: 0.7, guard: { data: 'calib.npy', images: 2000, stats: { radius: [5, 12] } } }, models: { rbm: 'lsst-rbm' }, ensembles: { default: 'lsst-default' }, defaultEnsemble: 'default', aliases: ['rubin'] },
};

function refusal(reg: Record<string, unknown>): string {
  try {
    parseRegistry(JSON.stringify(reg));
  } catch (e) {
    if (!(e instanceof DarklensError)) throw e;
    expect(e.code).toBe('bad_header');
    return e.message;
  }
  return 'accepted';
}

describe('model sets in the registry', () => {
  it('accepts sets and gives them back with the default set', () => {
    const reg = parseRegistry(JSON.stringify(registry({ sets, defaultSet: 'lsst' })));
    const got = registrySets(reg);
    expect(Object.keys(got.sets)).toEqual(['model-a', 'lsst']);
    expect(got.defaultSet).toBe('lsst');
    // Without defaultSet: the first set.
    expect(registrySets(parseRegistry(JSON.stringify(registry({ sets })))).defaultSet).toBe('model-a');
  });

  it('gives a registry without sets one implicit set of every model, with its default ensemble and its models\' domain', () => {
    const reg = parseRegistry(JSON.stringify(registry()));
    const { sets: implicit, defaultSet } = registrySets(reg);
    expect(defaultSet).toBe(IMPLICIT_SET);
    const set = implicit[IMPLICIT_SET]!;
    expect(set.models).toEqual({ dcae: 'dcae', rbm: 'rbm', 'lsst-rbm': 'lsst-rbm' });
    expect(set.defaultEnsemble).toBe('default');
    expect(set.domain).toMatchObject({ pixelScale: 0.1, psfFwhm: 0.24 });
    expect(set.domain.guard).toBeUndefined();
  });

  it('offers a set the ensembles it names, else the registered ensembles whose members are all its models', () => {
    const reg = parseRegistry(JSON.stringify(registry({ sets })));
    expect(setEnsembles(reg, reg.sets!['lsst']!)).toEqual({ default: 'lsst-default' });
    // model-a names none: default (dcae + rbm) is its own; mixed has an LSST member and lsst-default only LSST ones.
    expect(setEnsembles(reg, reg.sets!['model-a']!)).toEqual({ default: 'default' });
  });

  it('refuses sets that do not hold together, naming what is wrong', () => {
    const withSet = (name: string, patch: Partial<RegistrySet> | Record<string, unknown>) => registry({ sets: { ...sets, [name]: { ...sets['model-a'], aliases: [], ...patch } } });
    expect(refusal(registry({ sets: {} }))).toMatch(/non-empty/);
    expect(refusal(withSet('x', { models: { dcae: 'nope' } }))).toMatch(/set x: role dcae names unregistered model "nope"/);
    expect(refusal(withSet('x', { models: {} }))).toMatch(/non-empty models/);
    expect(refusal(withSet('x', { domain: { pixelScale: 0, psfFwhm: 0.2 } }))).toMatch(/positive pixelScale/);
    expect(refusal(withSet('x', { domain: { pixelScale: 0.1, psfFwhm: 0.2, guard: { data: 'd', images: 5, stats: { radius: [3, 1] } } } }))).toMatch(/guard range radius/);
    expect(refusal(withSet('x', { ensembles: { default: 'missing' } }))).toMatch(/unregistered ensemble "missing"/);
    expect(refusal(withSet('x', { aliases: ['rubin'] }))).toMatch(/sets lsst and x both answer to "rubin"/);
    expect(refusal(withSet('Bad Name', {}))).toMatch(/bad set name/);
    expect(refusal(registry({ sets, defaultSet: 'euclid' }))).toMatch(/defaultSet "euclid" is not one of the sets/);
    expect(refusal(registry({ defaultSet: 'model-a' }))).toMatch(/defaultSet given without sets/);
  });

  it('cuts a registry down to some models, keeping it valid: ensembles, set roles and defaults follow', () => {
    const reg = parseRegistry(JSON.stringify(registry({ sets, defaultSet: 'lsst' })));
    const a = restrictRegistry(reg, ['rbm']);
    expect(Object.keys(a.models)).toEqual(['rbm']);
    expect(a.ensembles).toEqual({});
    expect(a.defaultEnsemble).toBeUndefined();
    expect(Object.keys(a.sets!)).toEqual(['model-a']);
    expect(a.sets!['model-a']!.models).toEqual({ rbm: 'rbm' });
    expect(a.defaultSet).toBeUndefined();
    expect(() => parseRegistry(JSON.stringify(a))).not.toThrow();
    const b = restrictRegistry(reg, ['lsst-rbm', 'dcae', 'rbm']);
    expect(Object.keys(b.ensembles!)).toEqual(['default', 'lsst-default', 'mixed']);
    expect(b.sets!['lsst']!.ensembles).toEqual({ default: 'lsst-default' });
    expect(b.defaultSet).toBe('lsst');
    expect(() => restrictRegistry(reg, ['vae'])).toThrow(/does not list vae/);
  });
});
