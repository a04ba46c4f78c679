/** The option table of `darklens train`: commander options, TrainOptions and `--jobs` child arguments all come from it. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addTrainFlags, childArgs, modelTargets, TRAIN_FLAGS, trainOptionsFor, type FlagSpec, type TrainFlagValues } from './train-options.js';

const parse = (args: string[]): TrainFlagValues => addTrainFlags(new Command('train').exitOverride()).parse(args, { from: 'user' }).opts();
const specs = Object.entries(TRAIN_FLAGS) as [keyof TrainFlagValues, FlagSpec<unknown>][];
/** What the parent process holds when every option is given its example value. */
const examples = Object.fromEntries(specs.map(([k, s]) => [k, s.example])) as TrainFlagValues;

describe('TRAIN_FLAGS', () => {
  it('names each option by its key, and gives each an example other than its default', () => {
    const cmd = addTrainFlags(new Command('train'));
    expect(cmd.options.map((o) => o.attributeName()).sort()).toEqual(specs.map(([k]) => k).sort());
    for (const [k, s] of specs) expect(s.example, k).not.toEqual(s.default);
  });

  it('round-trips every option through the --jobs serialisation: each child trains exactly as the parent would', () => {
    const targets = modelTargets(examples);
    expect(targets.map((t) => t.model)).toEqual(['dcae', 'rbm']);
    for (const t of targets) {
      const args = childArgs(examples, t);
      expect(args[0]).toBe('train');
      const child = parse(args.slice(1));
      expect(modelTargets(child)).toEqual([t]);
      expect(trainOptionsFor(child, t)).toEqual(trainOptionsFor(examples, t));
      for (const [k, s] of specs) {
        const want = s.child === 'omit' ? s.default : s.child === 'per-model' ? t[k as keyof typeof t] : s.child !== undefined ? s.child.value : s.example;
        expect(child[k], `--${k}`).toEqual(want);
      }
    }
    // Every TrainOptions field of the table reaches train(), floats bit for bit (1/3 has no short decimal form).
    const opts = trainOptionsFor(examples, targets[0]!);
    for (const [k, s] of specs) if (s.train !== undefined) expect(opts[s.train], k).toBe(s.example);
    expect(opts).toMatchObject({ model: 'dcae', checkpointDir: 'runs/x/dcae', pretrain: 'runs/old/dcae' });
  });

  it('leaves unset options unset in the child, and resolves --out and --pretrain as given for one model', () => {
    const parent = parse(['--data', 'd.npy', '--model', 'aae,vae']);
    for (const t of modelTargets(parent)) {
      const opts = trainOptionsFor(parse(childArgs(parent, t).slice(1)), t);
      expect(opts).toEqual(trainOptionsFor(parent, t));
      for (const k of ['epochs', 'learningRate', 'adversarialWeight', 'patience', 'maxImages', 'backend', 'resume', 'pretrain'] as const) expect(k in opts, k).toBe(false);
    }
    expect(modelTargets(parse(['--data', 'd.npy', '--model', 'vae', '--out', 'o', '--pretrain', 'p']))).toEqual([{ model: 'vae', out: 'o', pretrain: 'p' }]);
    expect(modelTargets(parse(['--data', 'd.npy', '--model', 'vae']))).toEqual([{ model: 'vae', out: 'checkpoints/vae', pretrain: undefined }]);
  });
});
