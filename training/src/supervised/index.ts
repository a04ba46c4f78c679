/** The supervised ceiling: a labelled upper reference for reports, never exported nor served. */
export { buildCeilingCnn, checkCeilingSize, logitModel, CEILING_FILTERS, CEILING_MAX_SIDE, CEILING_MODEL_NAME, CEILING_SIDE_STEP, type CeilingCnnOptions } from './cnn.js';
export { CEILING_DEFAULTS, CEILING_NOTE, supervisedCeiling, type CeilingOptions, type CeilingReport } from './ceiling.js';
export type { CeilingEpoch, CeilingProgress } from './fit.js';
export { CEILING_CLASSES, loadLabelledSets, MIN_TRAIN_PER_CLASS, type CeilingClass, type CeilingDataPaths, type LabelledSets, type PerClass } from './labelled-sets.js';
export { ceilingMetrics, type CeilingMetrics, type CeilingOperatingPoint } from './metrics.js';
export { CEILING_JSON, CEILING_MARKDOWN, ceilingMarkdown, writeCeilingReport } from './report-files.js';
export { CLASS_WEIGHT_SHARE, classWeights } from './weighted-data.js';
