export {
  BACKEND_ORDER,
  selectBackend,
  wasmBinaryDir,
  type BackendAttempt,
  type BackendName,
  type SelectBackendOptions,
  type SelectedBackend,
  type Tf,
} from './select.js';
export {
  backpropFilterGeometry,
  registerWasmConv2DBackpropFilter,
  wasmConv2DBackpropFilterConfig,
  type BackpropFilterGeometry,
  type Conv2DBackpropFilterImpl,
  type WasmConv2DBackpropFilterOptions,
} from './wasm-conv2d-backprop-filter.js';
export {
  col2imAdd,
  registerWasmSpeedups,
  transposeBatched,
  unregisterWasmSpeedups,
  type WasmSpeedupOptions,
} from './wasm-speedups.js';
