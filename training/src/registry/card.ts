/** The model card (card.md) of a registered version: what it is, what it was trained on, what it is for, how well it does. */
import { MSE_SCORE, ONNX_INPUT, ONNX_SCORE, type CalibrationFile, type RegistryVersion } from '@darklens/core';
import type { EvaluationReport } from '../report/report.js';

const DESCRIPTIONS: Record<string, string> = {
  dcae: 'deep convolutional autoencoder (the reference DCAE scaled to the input size, BatchNorm on its moving statistics)',
  vae: 'convolutional variational autoencoder, reconstructing from the posterior mean (deterministic scores)',
  aae: 'adversarial autoencoder (encoder + decoder; the discriminator shaped training and is not part of the model)',
  rbm: 'restricted Boltzmann machine with real-valued visible units, scored by its deterministic mean-field reconstruction',
};

const f3 = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(3));

export interface CardInput {
  /** Registered name (dcae, lsst-rbm, ...). */
  model: string;
  /** The architecture (dcae, vae, aae, rbm); default: the registered name. */
  kind?: string;
  version: string;
  entry: Omit<RegistryVersion, 'files' | 'createdAt'>;
  report: EvaluationReport | null;
  calibration: CalibrationFile;
  /** Picture files of the version folder, by role. */
  pictures: { roc?: string; scores?: string; loss?: string };
}

export function modelCard(c: CardInput): string {
  const t = c.entry.training;
  const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '-');
  const i = c.entry.input;
  const m = c.report?.metrics ?? null;
  const others = c.entry.onnx.outputs.filter((o) => o.startsWith(`${ONNX_SCORE}_`) || o === ONNX_SCORE).map((o) => (o === ONNX_SCORE ? MSE_SCORE : o.slice(ONNX_SCORE.length + 1))).filter((n) => n !== c.calibration.score.name);
  const kind = c.kind ?? c.model;
  const spec: { psfSigma?: number; snr?: number | number[] } = typeof t.spec === 'object' && t.spec !== null ? t.spec : {};
  const fwhm = typeof spec.psfSigma === 'number' ? spec.psfSigma * 2 * Math.sqrt(2 * Math.LN2) : i.psfFwhm;
  const snr = Array.isArray(spec.snr) ? spec.snr.join('-') : spec.snr;
  const lines = [
    `# darklens ${c.model} ${c.version}`,
    '',
    `The ${kind.toUpperCase()}: a ${DESCRIPTIONS[kind] ?? kind}. It scores a strong-lens cutout by how badly it reconstructs it, high for lenses unlike the smooth ones it learnt. Its default score, \`${c.calibration.score.name}\`, is the ${c.calibration.score.definition}${others.length > 0 ? `; it also computes ${others.map((o) => `\`${o}\``).join(', ')} (\`score=\` on the API)` : ''}.`,
    '',
    '## Input and output',
    `- Input: ${i.width} x ${i.height} pixels at ${i.pixelScale}"/pixel${i.psfFwhm !== undefined ? `, PSF FWHM ${i.psfFwhm.toFixed(3)}"` : ''}; each cutout min-max scaled to [0, 1].`,
    `- ONNX (\`${c.entry.onnx.file}\`, opset ${c.entry.onnx.opset}, IR ${c.entry.onnx.irVersion}): inputs ${(c.entry.onnx.inputs ?? [ONNX_INPUT]).map((o) => `\`${o}\``).join(', ')} (see the ONNX contract in the README); outputs ${c.entry.onnx.outputs.map((o) => `\`${o}\``).join(', ')}.`,
    `- Calibration (\`calibration.json\`): ${c.calibration.calibration.count} held-out smooth lenses, every score; default threshold of \`${c.calibration.score.name}\` \`${c.calibration.thresholds.default}\` = ${c.calibration.thresholds.items.find((x) => x.name === c.calibration.thresholds.default)?.value.toPrecision(4) ?? '-'}.`,
    '',
    '## Domain',
    `- Trained for ${str(t.preset)} data: ${i.pixelScale}"/pixel${fwhm !== undefined ? `, PSF FWHM ${fwhm.toFixed(2)}"` : ''}${snr !== undefined ? `, peak SNR ${snr}` : ''}. The service serves it in the model set of that domain (\`survey=\`, or routed by a FITS header's pixel scale and PSF); a cutout unlike that domain is answered "out of domain", never "anomalous".`,
    ...(fwhm !== undefined && fwhm >= 0.5
      ? ['- At this seeing a subhalo\'s perturbation of an arc is smeared over several pixels: expect far lower detection power than at 0.1" (see the metrics below and the README\'s table of model sets).']
      : []),
    '',
    '## Training',
    `- Data: ${str(t.trainImages)} simulated lenses without substructure, preset \`${str(t.preset)}\` (arXiv:2008.12731 physics as re-implemented in darklens), ${str(t.validationImages)} more for validation.`,
    `- ${str(t.epochs)} epochs (best: ${str(t.bestEpoch)}), seed ${str(t.seed)}, backend ${str(t.backend)}, ${str(t.optimizer)} with ${str(t.schedule)} schedule, peak learning rate ${str(t.learningRate)}.`,
    `- Code: darklens ${str(t.darklensVersion)}; registered at commit ${str(t.registeredAtCommit)}.`,
    '',
    '## Intended use',
    '- For: ranking or flagging strong-lens cutouts whose arcs look perturbed (dark-matter substructure, or anything else the smooth training lenses lacked), on data resembling the input spec above.',
    '- Not for: measuring subhalo masses or positions; deciding alone that a lens has substructure (a high score means "unlike the training lenses": artefacts, neighbours and unusual sources score high too); cutouts at other pixel scales, sizes or PSFs than the input spec; data unlike the simulations until it is re-calibrated (or retrained) on its own smooth lenses.',
    '',
    '## Metrics (held-out simulated test sets)',
  ];
  if (m !== null && c.report !== null) {
    const k = c.report.counts;
    lines.push(
      `${k.no_sub} no-substructure, ${k.spherical} spherical-subhalo and ${k.vortex} vortex lenses; pooled = spherical + vortex against no_sub.`,
      '',
      '| ROC AUC pooled | spherical | vortex | AUPR | TPR @ 1% FPR | TPR @ 5% FPR | W1 no_sub |',
      '|---|---|---|---|---|---|---|',
      `| ${f3(m.aucPooled)} | ${f3(m.aucSpherical)} | ${f3(m.aucVortex)} | ${f3(m.aupr)} | ${f3(m.tprAt1.tpr)} | ${f3(m.tprAt5.tpr)} | ${f3(c.report.classes.no_sub?.w1)} |`,
    );
    const byScore = Object.entries(c.report.metricsByScore ?? {}).flatMap(([name, x]) => (x === null ? [] : [[name, x] as const]));
    if (byScore.length > 1) {
      lines.push('', `Every score (pooled ROC AUC / TPR @ 1% FPR): ${byScore.map(([name, x]) => `\`${name}\` ${f3(x.aucPooled)} / ${f3(x.tprAt1.tpr)}`).join(', ')}.`);
    }
  } else {
    lines.push('No labelled evaluation was attached to this version.');
  }
  lines.push('');
  if (c.pictures.roc !== undefined) lines.push(`![ROC curves](${c.pictures.roc})`, '');
  if (c.pictures.scores !== undefined) lines.push(`![score histograms by class](${c.pictures.scores})`, '');
  if (c.pictures.loss !== undefined) lines.push(`![training and validation loss](${c.pictures.loss})`, '');
  lines.push(
    '## Limitations',
    '- Trained and evaluated on simulations only; real survey cutouts differ (noise, neighbours, colour, lens models beyond SIS + shear).',
    '- Sensitivity falls with the substructure mass fraction; see `darklens sensitivity` for the curve.',
    '',
  );
  return lines.join('\n');
}
