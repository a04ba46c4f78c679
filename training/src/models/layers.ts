/** Layer lookup by name and chained application: how training parts reuse a saved model's layers. */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';

/** Applies layers in order. */
export function applyChain(layers: TfNamespace.layers.Layer[], x: TfNamespace.Tensor, training: boolean): TfNamespace.Tensor {
  let h = x;
  for (const l of layers) h = l.apply(h, { training }) as TfNamespace.Tensor;
  return h;
}

/** Finds a layer or throws invalid_argument naming the expected model kind. */
export function findLayer(model: TfNamespace.LayersModel, name: string, kind: string): TfNamespace.layers.Layer {
  try {
    return model.getLayer(name);
  } catch {
    throw new DarklensError('invalid_argument', `model ${model.name} is not a darklens ${kind} (no layer ${name})`);
  }
}
