export * from './simulate/index.js';
export * from './viz/canvas.js';
export * from './viz/contact-sheet.js';
export { drawText, textWidth } from './viz/font.js';
export * from './metrics/index.js';
export * from './backend/index.js';
