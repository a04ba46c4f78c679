// The Worker's entry: workerd takes every named export for a handler, so export functions and types only.
export { default } from './worker.js';
export * from './env.js';
export * from './isolate.js';
export * from './ort-web-engine.js';
export * from './queue-consumer.js';
export * from './queue-producer.js';
export * from './r2-blob-store.js';
export * from './r2-source.js';
export * from './rate-limit.js';
export * from './worker.js';
