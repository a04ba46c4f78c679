/**
 * `darklens models quantize <model> [version]`: an int8 (QDQ) copy of a registered model's ONNX file,
 * calibrated on smooth lenses, written beside it as model.int8.onnx. It is not registered: serving
 * it needs its own calibration and registration (see docs/results/quantize.md).
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { resolveVersion } from '@darklens/core';
import { int8Path, QUANTIZE_IMAGES, QUANTIZE_MIN_SNR_DB, quantizeFile, readRegistry, readVerified } from '@darklens/training';
import { int, num } from '../options.js';

const pct = (v: number): string => `${(v * 100).toPrecision(2)}%`;

export function quantizeCommand(registryOption: (c: Command) => Command): Command {
  const cmd = registryOption(
    new Command('quantize')
      .description('write an int8 copy of a registered model (QDQ: per-channel int8 weights, uint8 activations calibrated on smooth lenses; the scoring head stays float) beside its ONNX file; it is not registered')
      .argument('<model>')
      .argument('[version]', 'default: the default version')
      .requiredOption('-d, --data <path>', 'smooth lenses to calibrate on (.npy or folder), e.g. the calibration set; never the test sets')
      .option('-n, --images <n>', 'calibrate on the first N of them', int('images', 1, 1_000_000), QUANTIZE_IMAGES)
      .option('-o, --out <file>', 'write here instead of beside the model')
      .option('--min-snr <dB>', 'keep in float32 the layers around an activation whose 8-bit copy has a signal-to-noise ratio below this on the calibration lenses (0: quantize every layer that can be)', num('minimum SNR'), QUANTIZE_MIN_SNR_DB)
      .option('--exclude <nodes>', 'layers (ONNX node names) to keep in float32, comma-separated'),
  );
  cmd.addHelpText('after', '\nExample:\n  darklens models quantize rbm --data data/model-a/no_sub_calib.npy      (models/rbm/<default>/model.int8.onnx)\n');
  cmd.action(async (model: string, version: string | undefined, o: { registry: string; data: string; images: number; out?: string; minSnr: number; exclude?: string }) => {
    const reg = await readRegistry(o.registry);
    const r = resolveVersion(reg, model, version);
    // Only a file that matches its registered sha256 is worth quantizing.
    await readVerified(o.registry, model, r.entry.onnx.file, r.version);
    const modelPath = join(o.registry, model, r.version, r.entry.onnx.file);
    const { width, height, pixelScale } = r.entry.input;
    const q = await quantizeFile({
      modelPath,
      dataPath: o.data,
      grid: { width, height, pixelScale },
      images: o.images,
      outPath: o.out ?? int8Path(modelPath),
      minSnrDb: o.minSnr,
      ...(o.exclude !== undefined ? { exclude: o.exclude.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    });
    const layers = q.plan.nodes.map((n) => (n.fromConvTranspose ? `${n.name} (ConvTranspose as Conv)` : n.name));
    process.stdout.write(
      `${model} ${r.version}: ${q.outPath} (${(q.bytes / 1e6).toFixed(2)} MB, fp32 ${(q.fp32Bytes / 1e6).toFixed(2)} MB), calibrated on ${q.images} lenses\n` +
        `  int8 layers: ${layers.join(', ')}\n` +
        `  activations at 8 bits, SNR dB: ${Object.entries(q.snrDb).map(([t, db]) => `${t} ${db.toFixed(1)}`).join(', ')}\n` +
        (q.plan.skipped.length > 0 ? `  float32 layers: ${q.plan.skipped.map((s) => `${s.name} (${s.why})`).join(', ')}\n` : '') +
        `  scores on those lenses, |int8 - fp32| / fp32 median / max: ${Object.entries(q.agreement).map(([s, a]) => `${s} ${pct(a.median)} / ${pct(a.max)}`).join(', ')}\n`,
    );
  });
  return cmd;
}
