export { default } from './worker.js';
export * from './env.js';
export * from './isolate.js';
export * from './ort-web-engine.js';
export * from './r2-source.js';
export * from './rate-limit.js';
export * from './worker.js';
