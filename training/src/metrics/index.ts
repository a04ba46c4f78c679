export * from './roc.js';
export * from './pr.js';
export * from './w1.js';
export * from './histogram.js';
export * from './labelled.js';
