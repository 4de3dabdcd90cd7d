import {
  initTensorflow,
  parseBackendMode,
  readNativeBuildStatus,
  type BackendInfo,
  type BackendMode,
} from '../src/infrastructure/tf/backend';
import { tf } from '../src/infrastructure/tf/tf';
import { tfjsEngine } from '../src/infrastructure/engine/tfjs-engine';

/** The tfjs NumericEngine (after `useBackend`). */
export const engine = tfjsEngine;

/**
 * Whether the install step built a native TensorFlow binding here (scripts/install-tensorflow.js
 * records it). The native-only cases run when it says so, and then they must pass: a build that
 * claims success but does not load fails the suite rather than being skipped.
 */
export const nativeBuilt = (): boolean => readNativeBuildStatus()?.ok === true;

/**
 * The backend the numeric specs run on. The jest project `unlearning-wasm` pins wasm (a global
 * set in jest.config.js); otherwise `LETHE_TF_BACKEND`, else auto: native TensorFlow when the
 * install step built it, else wasm. So CI runs these specs on both.
 */
export const backendUnderTest = (): BackendMode => {
  const pinned = (globalThis as { __LETHE_TF_BACKEND__?: string }).__LETHE_TF_BACKEND__;
  return parseBackendMode(pinned ?? process.env['LETHE_TF_BACKEND']);
};

/** The backend name `backendUnderTest()` must resolve to here. */
export const expectedBackendName = (mode: BackendMode = backendUnderTest()): string =>
  mode === 'auto' ? (nativeBuilt() ? 'tensorflow' : 'wasm') : mode;

/** Switches the tfjs backend for a test (default: the backend under test) and checks it took. */
export const useBackend = async (mode: BackendMode = backendUnderTest()): Promise<BackendInfo> => {
  const info = await initTensorflow(mode);
  if (info.name !== expectedBackendName(mode)) {
    throw new Error(
      `backend under test should be ${expectedBackendName(mode)}, got ${info.name}: ${info.fallbacks.join('; ')}`,
    );
  }
  return info;
};

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
