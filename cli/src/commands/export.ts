import { join } from 'node:path';
import { Command } from 'commander';
import { withBackendOption } from '../options.js';
import { exportCheckpoint, findCheckpoints, MODEL_NAMES, ONNX_IR_VERSION, ONNX_OPSET, type BackendName } from '@darklens/training';

interface ExportCommandOptions {
  checkpoint: string;
  out?: string;
  fp16?: boolean;
  residual?: boolean;
  backend?: BackendName;
}

export function exportCommand(): Command {
  const cmd = new Command('export')
    .description(`export trained models to ONNX (opset ${ONNX_OPSET}, IR ${ONNX_IR_VERSION}): input [N,1,H,W] float32, outputs reconstruction [N,1,H,W] and score [N] (per-image MSE)`)
    .requiredOption('-c, --checkpoint <dir>', 'a checkpoint folder, or a parent folder with one per model (dcae/, vae/, aae/, rbm/)')
    .option('-o, --out <path>', '.onnx file (one model; default <checkpoint>/model.onnx) or folder (several; default: each checkpoint folder)')
    .option('--fp16', 'store the weights as float16 (half the size; the graph computes in float32)')
    .option('--residual', 'add a third output, residual = input - reconstruction [N,1,H,W]');
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
        ...(o.backend !== undefined ? { backend: o.backend } : {}),
        log: (m) => {
          if (!logged) process.stderr.write(`${m}\n`);
          logged = true;
        },
      });
      process.stdout.write(`${r.model}: ${r.outPath} (${(r.bytes / 1e6).toFixed(2)} MB)\n`);
    }
  });
}
