import { join } from 'node:path';
import { Command } from 'commander';
import { num, withBackendOption } from '../options.js';
import { exportCheckpoint, findCheckpoints, HEAD_SCORES, MODEL_NAMES, ONNX_IR_VERSION, ONNX_OPSET, type BackendName } from '@darklens/training';

interface ExportCommandOptions {
  checkpoint: string;
  out?: string;
  fp16?: boolean;
  residual?: boolean;
  backend?: BackendName;
  psfFwhm?: number;
  pixelScale?: number;
}

export function exportCommand(): Command {
  const cmd = new Command('export')
    .description(
      `export trained models to ONNX (opset ${ONNX_OPSET}, IR ${ONNX_IR_VERSION}): inputs input [N,1,H,W], variance [N,1,H,W] and noise [N,2] float32; ` +
        `outputs reconstruction [N,1,H,W] and the anomaly scores [N]: score (MSE), ${HEAD_SCORES.filter((x) => x !== 'mse').map((x) => `score_${x}`).join(', ')}`,
    )
    .requiredOption('-c, --checkpoint <dir>', 'a checkpoint folder, or a parent folder with one per model (dcae/, vae/, aae/, rbm/)')
    .option('-o, --out <path>', '.onnx file (one model; default <checkpoint>/model.onnx) or folder (several; default: each checkpoint folder)')
    .option('--fp16', 'store the weights as float16 (half the size; the graph computes in float32)')
    .option('--residual', 'add an output residual = input - reconstruction [N,1,H,W]')
    .option('--psf-fwhm <arcsec>', 'PSF FWHM of the data, for the width of the filtered scores (default: the training data\'s manifest)', num('PSF FWHM'))
    .option('--pixel-scale <arcsec>', 'arcsec per pixel of the data (default: the training data\'s manifest)', num('pixel scale'));
  withBackendOption(cmd, 'TensorFlow.js backend that loads the checkpoint');
  cmd.addHelpText('after', '\nExamples:\n  darklens export --checkpoint checkpoints/dcae --out dcae.onnx\n  darklens export --checkpoint checkpoints --out onnx/ --fp16\n');
  return cmd.action(async (o: ExportCommandOptions) => {
    const checkpoints = findCheckpoints(o.checkpoint, MODEL_NAMES);
    const single = checkpoints.length === 1 && checkpoints[0]!.dir === o.checkpoint;
    const file = o.fp16 === true ? 'model.fp16.onnx' : 'model.onnx';
    let logged = false;
    for (const c of checkpoints) {
      const outPath = single ? (o.out ?? join(c.dir, file)) : o.out !== undefined ? join(o.out, `${c.name}${o.fp16 === true ? '.fp16' : ''}.onnx`) : join(c.dir, file);
      const r = await exportCheckpoint({
        checkpointDir: c.dir,
        outPath,
        ...(o.fp16 === true ? { fp16: true } : {}),
        ...(o.residual === true ? { residual: true } : {}),
        ...(o.psfFwhm !== undefined || o.pixelScale !== undefined
          ? { input: { ...(o.psfFwhm !== undefined ? { psfFwhm: o.psfFwhm } : {}), ...(o.pixelScale !== undefined ? { pixelScale: o.pixelScale } : {}) } }
          : {}),
        ...(o.backend !== undefined ? { backend: o.backend } : {}),
        log: (m) => {
          if (!logged) process.stderr.write(`${m}\n`);
          logged = true;
        },
      });
      process.stdout.write(`${r.model}: ${r.outPath} (${(r.bytes / 1e6).toFixed(2)} MB, PSF sigma ${r.psfSigmaPx.toPrecision(3)} px)\n`);
    }
  });
}
