export * from './thresholds.js';
export * from './scoring.js';
export * from './calibration-file.js';
export * from './model-calibration.js';
