import { describe, expect, it } from 'vitest';
import { readContract, scoreOutputName } from './contract.js';

describe('ONNX contract', () => {
  it('names the MSE output `score` and the others `score_<name>`', () => {
    expect(scoreOutputName('mse')).toBe('score');
    expect(scoreOutputName('chi2')).toBe('score_chi2');
  });

  it('reads the scores a graph offers, mse first', () => {
    expect(readContract('m', ['input'], ['reconstruction', 'score'])).toEqual({ scores: ['mse'], noiseAware: false, residual: false });
    expect(readContract('m', ['input', 'variance', 'noise'], ['score_b', 'reconstruction', 'residual', 'score', 'score_a'])).toEqual({ scores: ['mse', 'b', 'a'], noiseAware: true, residual: true });
  });

  it('takes the noise inputs both or neither, and no others', () => {
    expect(() => readContract('m', ['input', 'variance'], ['reconstruction', 'score'])).toThrow(/optionally both "variance" and "noise"/);
    expect(() => readContract('m', ['input', 'mask'], ['reconstruction', 'score'])).toThrow(/inputs input, mask/);
  });

  it('refuses a graph without the input or a required output, naming what it has', () => {
    expect(() => readContract('dcae v9', ['x'], ['reconstruction', 'score'])).toThrow(/dcae v9: .*needs input "input".*inputs x/);
    expect(() => readContract('dcae v9', ['input'], ['reconstruction'])).toThrow(/outputs reconstruction, score; it has .*outputs reconstruction$/);
  });
});
