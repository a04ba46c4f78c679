/**
 * An exported darklens ONNX file opened for scoring through core's one scoring path, on the Node
 * server's own onnxruntime-node engine (functions/src/node/ort-engine.ts owns that choice), so that
 * `darklens evaluate` and `calibrate` score exactly as the service does.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DarklensError, readContract, type GraphContract, type ModelSession } from '@darklens/core';
import { ortNodeEngine } from '@darklens/functions/node';

export interface OnnxFile {
  path: string;
  /** sha256 of the file, hex: what a calibration was computed with. */
  sha256: string;
  session: ModelSession;
  contract: GraphContract;
  close(): Promise<void>;
}

export async function openOnnx(path: string): Promise<OnnxFile> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new DarklensError('not_found', `cannot read the ONNX model ${path}: ${(e as Error).message}`, { cause: e });
  }
  let session: ModelSession;
  try {
    session = await ortNodeEngine().createSession(bytes);
  } catch (e) {
    throw new DarklensError('invalid_argument', `${path} is not a valid ONNX model: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  let contract: GraphContract;
  try {
    contract = readContract(path, session.inputNames, session.outputNames);
  } catch (e) {
    await session.release();
    throw e;
  }
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), session, contract, close: () => session.release() };
}
