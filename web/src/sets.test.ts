import { describe, expect, it } from 'vitest';
import { verdictChoices, type CalibratedModel } from './calibration';
import { allRoles, AUTO, domainLine, groupBySet, offeredEnsembles, offeredScores, setChoices, setLabel, surveyParams, type SetInfo } from './sets';

const modelA: SetInfo = {
  name: 'model-a',
  default: true,
  aliases: ['sim'],
  domain: { preset: 'model-a', pixelScale: 0.1, psfFwhm: 0.23548, snr: [20, 100], description: 'simulated, HST-like' },
  models: { dcae: 'dcae', vae: 'vae', rbm: 'rbm' },
  ensembles: { default: 'default', 'arc-shape': 'arc-shape' },
  defaultEnsemble: 'default',
};
const lsst: SetInfo = {
  name: 'lsst',
  default: false,
  aliases: ['rubin'],
  domain: { survey: 'LSST', pixelScale: 0.2, psfFwhm: 0.7, snr: 50 },
  models: { dcae: 'lsst-dcae', rbm: 'lsst-rbm', aae: 'lsst-aae' },
  ensembles: { default: 'lsst-default' },
  defaultEnsemble: 'default',
};
/** A registry without sets: the implicit one, whose PSF may be unknown (0). */
const implicit: SetInfo = { name: 'default', default: true, aliases: [], domain: { pixelScale: 0.1, psfFwhm: 0 }, models: { dcae: 'dcae' }, ensembles: {}, defaultEnsemble: null };

const scores = (name: string, list: string[]) => ({ name, availableScores: list.map((s) => ({ name: s, definition: s })) });
const summaries = [scores('dcae', ['mse', 'psf', 'mf']), scores('vae', ['mse', 'psf']), scores('rbm', ['mse', 'psf', 'mf']), scores('lsst-dcae', ['mse', 'mf']), scores('lsst-rbm', ['mse', 'mf']), scores('lsst-aae', ['mse', 'mf'])];

describe('the set chooser', () => {
  it('labels a set with its survey, pixel scale and PSF, the default marked', () => {
    expect(setLabel(lsst)).toBe('lsst — LSST, 0.2"/px, PSF 0.7"');
    expect(setLabel(modelA)).toBe('model-a — 0.1"/px, PSF 0.235" (default)');
    expect(setLabel(implicit)).toBe('default — 0.1"/px (default)');
    expect(setLabel({ ...implicit, default: false, domain: {} })).toBe('default');
  });

  it('offers auto first, then every set in the API\'s order', () => {
    expect(setChoices([modelA, lsst])).toEqual([
      { value: AUTO, label: 'auto (from the file header)' },
      { value: 'model-a', label: setLabel(modelA) },
      { value: 'lsst', label: setLabel(lsst) },
    ]);
  });

  it('sends survey= only for a named set', () => {
    expect(surveyParams(AUTO)).toEqual({});
    expect(surveyParams(undefined)).toEqual({});
    expect(surveyParams('lsst')).toEqual({ survey: 'lsst' });
  });

  it('says everything a domain states, in words', () => {
    expect(domainLine(modelA.domain)).toBe('0.1"/px, PSF 0.235", simulation preset model-a, S/N 20–100 — simulated, HST-like');
    expect(domainLine(lsst.domain)).toBe('LSST, 0.2"/px, PSF 0.7", S/N 50');
    expect(domainLine({ description: 'every model' })).toBe('every model');
  });
});

describe('what a set choice offers', () => {
  it('ensembles: the chosen set\'s, or under auto only those every set offers', () => {
    expect(offeredEnsembles([modelA, lsst], 'model-a')).toEqual({ names: ['default', 'arc-shape'], defaultEnsemble: 'default', anyDefault: true });
    expect(offeredEnsembles([modelA, lsst], AUTO)).toEqual({ names: ['default'], defaultEnsemble: 'default', anyDefault: true });
    const other = { ...lsst, defaultEnsemble: null };
    expect(offeredEnsembles([modelA, other], AUTO)).toEqual({ names: ['default'], defaultEnsemble: null, anyDefault: true });
  });

  it('scores: those every model of the candidate sets calibrates', () => {
    expect(offeredScores([modelA, lsst], summaries, 'model-a')).toEqual(['mse', 'psf']);
    expect(offeredScores([modelA, lsst], summaries, 'lsst')).toEqual(['mse', 'mf']);
    expect(offeredScores([modelA, lsst], summaries, AUTO)).toEqual(['mse']);
  });

  it('verdict choices follow the set: the shared default first, else the request names none', () => {
    const models = summaries.map((detail) => ({ detail, scores: new Float64Array() }) as unknown as CalibratedModel);
    expect(verdictChoices({ sets: [modelA, lsst], models }, 'model-a').map((c) => c.value)).toEqual(['ensemble:default', 'ensemble:arc-shape', 'score:mse', 'score:psf']);
    expect(verdictChoices({ sets: [modelA, lsst], models }, AUTO).map((c) => c.label)).toEqual(['ensemble default (default)', 'every model, score mse']);
    const mixed = verdictChoices({ sets: [modelA, { ...lsst, ensembles: {} }], models }, AUTO);
    expect(mixed[0]).toEqual({ value: 'default', label: "each set's default ensemble", choice: undefined });
    expect(verdictChoices({ sets: [implicit], models }, AUTO)[0]).toEqual({ value: 'default', label: 'every model, its default score', choice: undefined });
  });

  it('the batch table has a column per role of any set', () => {
    expect(allRoles([modelA, lsst])).toEqual(['dcae', 'vae', 'rbm', 'aae']);
  });
});

describe('the models view', () => {
  it('groups models by set, the default first, each card once, unlisted models last', () => {
    const shared = { ...lsst, default: false, models: { dcae: 'dcae', rbm: 'lsst-rbm' } };
    const groups = groupBySet([shared, modelA], ['dcae', 'vae', 'rbm', 'lsst-rbm', 'stray']);
    expect(groups.map((g) => [g.set?.name ?? null, g.cards])).toEqual([
      ['model-a', ['dcae', 'vae', 'rbm']],
      ['lsst', ['lsst-rbm']],
      [null, ['stray']],
    ]);
    expect(groups[1]!.roles).toEqual([
      { role: 'dcae', model: 'dcae' },
      { role: 'rbm', model: 'lsst-rbm' },
    ]);
  });
});
