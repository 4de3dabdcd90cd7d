import { initTensorflow, type BackendMode } from '../src/infrastructure/tf/backend';
import { tf } from '../src/infrastructure/tf/tf';
import { tfjsEngine } from '../src/infrastructure/engine/tfjs-engine';

/** The tfjs NumericEngine (after `useBackend`). */
export const engine = tfjsEngine;

/** Switches the tfjs backend for a test (cpu and wasm are both always available here). */
export const useBackend = async (
  mode: Exclude<BackendMode, 'auto' | 'tensorflow'>,
): Promise<string> => (await initTensorflow(mode)).name;

/** ||a − b|| / ||b||. */
export const relativeError = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    num += d * d;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num) / Math.sqrt(den);
};

export const liveTensors = (): number => tf.memory().numTensors;
