/**
 * Where the registry's files come from: a folder on the Node server, bundled assets in a Worker.
 * Paths are relative to the registry root, e.g. "registry.json" or "dcae/v1/model.onnx".
 */
export interface ModelSource {
  /** For messages, e.g. the folder. */
  readonly location: string;
  read(path: string): Promise<Uint8Array>;
}
