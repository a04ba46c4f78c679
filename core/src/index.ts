export * from './errors.js';
export * from './cutout.js';
