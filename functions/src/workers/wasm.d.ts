// wrangler's CompiledWasm rule turns an imported .wasm file into a compiled WebAssembly.Module.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
