/** The app's interface to an ONNX runtime: core's, so that training's evaluation scores through the same one. */
export type { FeedPlanes, InferenceEngine, ModelSession, Tensor } from '@darklens/core';
